#include "config.h"

#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

long long drover_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long drover_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void drover_format_time(long long ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *drover_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

int drover_mkdir_p(const char *path, unsigned mode)
{
	_cleanup_(drover_freep) char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = saved;
		if (saved == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int drover_data_dir_prepare(const char *data_dir)
{
	struct stat st;
	int rc = drover_mkdir_p(data_dir, 0711);
	if (rc < 0)
		return rc;
	if (stat(data_dir, &st) < 0)
		return -errno;
	/* A sticky directory is shared on purpose (/tmp): not ours to narrow. */
	if (st.st_uid == geteuid() && !(st.st_mode & S_ISVTX) && (st.st_mode & 066) &&
	    chmod(data_dir, st.st_mode & 07711) < 0)
		return -errno;
	return 0;
}

int drover_uuid_v4(char *buf, size_t len)
{
	unsigned char b[16];
	if (len < 37)
		return -EINVAL;
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, len,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
	return 0;
}

int drover_strv_push_take(drover_strv *v, char *s)
{
	if (!s)
		return -ENOMEM;
	if (v->count + 2 > v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		char **items = realloc(v->items, cap * sizeof(*items));
		if (!items) {
			free(s);
			return -ENOMEM;
		}
		v->items = items;
		v->cap = cap;
	}
	v->items[v->count++] = s;
	v->items[v->count] = NULL;
	return 0;
}

int drover_strv_push(drover_strv *v, const char *s)
{
	return drover_strv_push_take(v, strdup(s));
}

void drover_strv_clear(drover_strv *v)
{
	for (size_t i = 0; i < v->count; i++)
		free(v->items[i]);
	free(v->items);
	*v = (drover_strv){0};
}

static size_t env_key_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

int drover_env_set(drover_strv *env, char *entry)
{
	if (!entry)
		return -ENOMEM;
	size_t klen = env_key_len(entry);
	for (size_t i = 0; i < env->count; i++) {
		if (env_key_len(env->items[i]) == klen && strncmp(env->items[i], entry, klen) == 0) {
			free(env->items[i]);
			env->items[i] = entry;
			return 0;
		}
	}
	return drover_strv_push_take(env, entry);
}

const char *drover_env_get(const drover_strv *env, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < env->count; i++)
		if (strncmp(env->items[i], key, klen) == 0 && env->items[i][klen] == '=')
			return env->items[i] + klen + 1;
	return NULL;
}

static const struct {
	const char *name;
	int signo;
} signal_names[] = {
	{"SIGHUP", SIGHUP},   {"SIGINT", SIGINT},     {"SIGQUIT", SIGQUIT}, {"SIGILL", SIGILL},
	{"SIGTRAP", SIGTRAP}, {"SIGABRT", SIGABRT},   {"SIGBUS", SIGBUS},   {"SIGFPE", SIGFPE},
	{"SIGKILL", SIGKILL}, {"SIGUSR1", SIGUSR1},   {"SIGSEGV", SIGSEGV}, {"SIGUSR2", SIGUSR2},
	{"SIGPIPE", SIGPIPE}, {"SIGALRM", SIGALRM},   {"SIGTERM", SIGTERM}, {"SIGCHLD", SIGCHLD},
	{"SIGCONT", SIGCONT}, {"SIGSTOP", SIGSTOP},   {"SIGTSTP", SIGTSTP}, {"SIGTTIN", SIGTTIN},
	{"SIGTTOU", SIGTTOU}, {"SIGURG", SIGURG},     {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
	{"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH}, {"SIGIO", SIGIO},
	{"SIGSYS", SIGSYS},
};

int drover_signal_from_name(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
		if (strcasecmp(name, signal_names[i].name) == 0 ||
		    strcasecmp(name, signal_names[i].name + 3) == 0)
			return signal_names[i].signo;
	}
	return 0;
}

const char *drover_signal_name(int signo)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].signo == signo)
			return signal_names[i].name;
	return "SIG?";
}

int drover_parse_duration_ms(const char *text, long long *ms)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno || n > 1000000000ull)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*ms = (long long)n * units[i].ms;
			return 0;
		}
	}
	return -EINVAL;
}

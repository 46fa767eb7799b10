/* Registry credentials (see docker_auth.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "docker_auth.h"
#include "docker_image.h"
#include "docker_json.h"

extern char **environ;

#define CONFIG_MAX (1024 * 1024) /* a docker config.json is a few hundred bytes */
#define HELPER_OUT_MAX (64 * 1024)
#define HELPER_TIMEOUT_MS 30000

void docker_auth_registry(const char *image, char *host, size_t len)
{
	const char *slash = strchr(image, '/');
	size_t n = slash ? (size_t)(slash - image) : 0;

	/* Docker's rule: the first component is a host only when it has a dot or a
	 * port, or is "localhost"; otherwise the name lives on Docker Hub. */
	if (!slash || !(memchr(image, '.', n) || memchr(image, ':', n) ||
	                (n == 9 && strncmp(image, "localhost", 9) == 0))) {
		snprintf(host, len, "docker.io");
		return;
	}
	snprintf(host, len, "%.*s", (int)n, image);
}

/* "https://host:5000/v1/" -> "host:5000", as Docker matches auths keys. */
static void key_hostname(const char *key, char *out, size_t len)
{
	const char *p = key;
	size_t n;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strncmp(p, "https://", 8) == 0)
		p += 8;
	n = strcspn(p, "/");
	snprintf(out, len, "%.*s", (int)n, p);
}

static int is_hub(const char *host)
{
	return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
	       strcmp(host, "registry-1.docker.io") == 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard (or URL-safe) base64 into a malloc'd NUL-terminated string; NULL
 * when malformed. */
static char *b64decode(const char *in)
{
	size_t len = strlen(in), o = 0;
	char *out = malloc(len / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int v;
		if (in[i] == '=')
			break;
		if ((v = b64val((unsigned char)in[i])) < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

static void wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = '\0';
		free(s);
	}
}

void docker_auth_clear(docker_auth *a)
{
	free(a->username);
	wipe_free(a->password);
	free(a->email);
	free(a->server_address);
	memset(a, 0, sizeof(*a));
}

static int has_creds(const docker_auth *a)
{
	return (a->username && a->username[0]) || (a->password && a->password[0]);
}

static int set_str(char **dst, const char *src)
{
	if (!src || !src[0])
		return 0;
	return (*dst = strdup(src)) ? 0 : -ENOMEM;
}

static int from_task(const drover_value *auth, docker_auth *out)
{
	if (!auth || auth->type != DROVER_VALUE_OBJECT)
		return 0;
	if (set_str(&out->username, drover_value_get_string(auth, "username", NULL)) < 0 ||
	    set_str(&out->password, drover_value_get_string(auth, "password", NULL)) < 0 ||
	    set_str(&out->email, drover_value_get_string(auth, "email", NULL)) < 0 ||
	    set_str(&out->server_address, drover_value_get_string(auth, "server_address", NULL)) < 0)
		return -ENOMEM;
	snprintf(out->source, sizeof(out->source), "the task's auth block");
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first line of a helper's error output, for a message: trimmed, short. */
static void first_line(const char *text, char *out, size_t len)
{
	size_t n;

	while (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')
		text++;
	n = strcspn(text, "\r\n");
	if (n > 200)
		n = 200;
	snprintf(out, len, "%.*s", (int)n, text);
}

/* Reads the helper's stdout and stderr until both close or the deadline. */
static int collect(int ofd, int efd, char *obuf, size_t *olen, char *ebuf, size_t *elen,
                   long long deadline)
{
	int open_fds = 2;
	struct pollfd p[2] = { { ofd, POLLIN, 0 }, { efd, POLLIN, 0 } };

	while (open_fds > 0) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(p, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			char *buf = i == 0 ? obuf : ebuf;
			size_t *n = i == 0 ? olen : elen;
			size_t cap = i == 0 ? HELPER_OUT_MAX : 4096;
			char sink[4096];
			ssize_t r;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (*n < cap)
				r = read(p[i].fd, buf + *n, cap - *n);
			else
				r = read(p[i].fd, sink, sizeof(sink)); /* over the cap: dropped */
			if (r > 0 && *n < cap)
				*n += (size_t)r;
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
	return 0;
}

int docker_auth_from_helper(const char *helper, const char *host, long long timeout_ms,
                            docker_auth *out, drover_err *err)
{
	char prog[160], *obuf = NULL, ebuf[4097], line[256];
	char *argv[3];
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, e[2] = { -1, -1 };
	size_t olen = 0, elen = 0;
	posix_spawn_file_actions_t fa;
	yajl_val v = NULL;
	pid_t pid;
	int r, status = 0;

	snprintf(prog, sizeof(prog), "docker-credential-%s", helper);
	argv[0] = prog;
	argv[1] = (char *)"get";
	argv[2] = NULL;
	if (!(obuf = malloc(HELPER_OUT_MAX + 1)))
		return drover_err_set(err, -ENOMEM, "out of memory");
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
		r = drover_err_set(err, -errno, "docker: %s: pipe: %s", prog, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	r = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(o[1]);
	close(e[1]);
	in[0] = o[1] = e[1] = -1;
	if (r != 0) {
		r = drover_err_set(err, -r, "docker: credential helper %s: cannot run it (is it on "
		                   "$PATH?): %s", prog, strerror(r));
		goto out;
	}
	{
		/* The protocol: the registry host on stdin, then EOF. A helper that
		 * exits without reading it gives EPIPE, which its exit status explains. */
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;
		sigaction(SIGPIPE, &ign, &old);
		if (write(in[1], host, strlen(host)) < 0) {
			/* Reported through the exit status below. */
		}
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in[1]);
	in[1] = -1;
	r = collect(o[0], e[0], obuf, &olen, ebuf, &elen, now_ms() + timeout_ms);
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	obuf[olen] = '\0';
	ebuf[elen] = '\0';
	if (r == -ETIMEDOUT) {
		r = drover_err_set(err, r, "docker: credential helper %s gave no answer for \"%s\" "
		                   "within %llds",
		                   prog, host, timeout_ms / 1000);
		goto out;
	}
	if (r < 0) {
		r = drover_err_set(err, r, "docker: credential helper %s: %s", prog, strerror(-r));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Docker's own convention: "not found" is no credentials, not a failure. */
		if (strstr(obuf, "credentials not found")) {
			r = 0;
			goto out;
		}
		first_line(elen ? ebuf : obuf, line, sizeof(line));
		r = drover_err_set(err, -EACCES, "docker: credential helper %s failed for \"%s\" (%s "
		                   "%d)%s%s",
		                   prog, host, WIFEXITED(status) ? "exit status" : "signal",
		                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		                   line[0] ? ": " : "", line);
		goto out;
	}
	if (docker_json_parse(obuf, olen, "the helper's answer", &v, NULL) < 0 ||
	    !YAJL_IS_OBJECT(v)) {
		/* Its output is not quoted: it may well hold the secret. */
		r = drover_err_set(err, -EPROTO, "docker: credential helper %s answered for \"%s\" "
		                   "with something other than a JSON object {Username, Secret}",
		                   prog, host);
		goto out;
	}
	if (set_str(&out->username, docker_json_str(v, "Username", NULL)) < 0 ||
	    set_str(&out->password, docker_json_str(v, "Secret", NULL)) < 0) {
		r = drover_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(out->source, sizeof(out->source), "credential helper %.120s", prog);
	r = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
	}
	if (v)
		yajl_tree_free(v);
	if (obuf) {
		memset(obuf, 0, HELPER_OUT_MAX + 1);
		free(obuf);
	}
	return r;
}

static int read_config(const char *path, char **text, size_t *len, drover_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return drover_err_set(err, -errno, "docker plugin option \"auth.config\": cannot open "
		                      "\"%.200s\": %s",
		                      path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX) {
		close(fd);
		return drover_err_set(err, -EINVAL, "docker plugin option \"auth.config\": \"%.200s\" "
		                      "is not a regular file of at most %d bytes",
		                      path, CONFIG_MAX);
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		close(fd);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	n = read(fd, *text, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(*text);
		return drover_err_set(err, -EIO, "docker plugin option \"auth.config\": reading "
		                      "\"%.200s\" failed",
		                      path);
	}
	(*text)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* The auths entry for `host`: the key as it is, else any key whose host part
 * matches (Docker writes "https://index.docker.io/v1/" for the Hub). */
static yajl_val find_auths_entry(yajl_val auths, const char *host)
{
	if (!YAJL_IS_OBJECT(auths))
		return NULL;
	for (size_t i = 0; i < auths->u.object.len; i++)
		if (strcmp(auths->u.object.keys[i], host) == 0)
			return auths->u.object.values[i];
	for (size_t i = 0; i < auths->u.object.len; i++) {
		char h[256];
		key_hostname(auths->u.object.keys[i], h, sizeof(h));
		if (strcmp(h, host) == 0 || (is_hub(host) && is_hub(h)))
			return auths->u.object.values[i];
	}
	return NULL;
}

static int from_auths_entry(yajl_val entry, const char *path, const char *host,
                            docker_auth *out, drover_err *err)
{
	const char *b64 = docker_json_str(entry, "auth", NULL);

	if (b64 && b64[0]) {
		char *plain = b64decode(b64), *colon;
		if (!plain || !(colon = strchr(plain, ':'))) {
			wipe_free(plain);
			return drover_err_set(err, -EINVAL, "docker plugin option \"auth.config\": "
			                      "\"%.200s\": auths[\"%s\"].auth is not base64 of "
			                      "\"user:password\"",
			                      path, host);
		}
		*colon = '\0';
		if (set_str(&out->username, plain) < 0 || set_str(&out->password, colon + 1) < 0) {
			wipe_free(plain);
			return drover_err_set(err, -ENOMEM, "out of memory");
		}
		wipe_free(plain);
	} else if (set_str(&out->username, docker_json_str(entry, "username", NULL)) < 0 ||
	           set_str(&out->password, docker_json_str(entry, "password", NULL)) < 0) {
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	if (set_str(&out->email, docker_json_str(entry, "email", NULL)) < 0)
		return drover_err_set(err, -ENOMEM, "out of memory");
	snprintf(out->source, sizeof(out->source), "auth.config \"%.120s\"", path);
	return 0;
}

static int valid_helper_name(const char *name)
{
	if (!name[0] || strlen(name) > 100)
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("-_.", *c)))
			return 0;
	return 1;
}

static int from_config(const char *path, const char *host, docker_auth *out, drover_err *err)
{
	char *text = NULL, *helper_key;
	size_t len = 0;
	yajl_val v = NULL, entry;
	const char *helpers[2] = { NULL, NULL };
	int r;

	if ((r = read_config(path, &text, &len, err)) < 0)
		return r;
	r = docker_json_parse(text, len, "the docker config file", &v, NULL);
	memset(text, 0, len);
	free(text);
	if (r < 0 || !YAJL_IS_OBJECT(v)) {
		if (v)
			yajl_tree_free(v);
		return drover_err_set(err, -EINVAL, "docker plugin option \"auth.config\": \"%.200s\" "
		                      "is not a JSON object",
		                      path);
	}
	entry = find_auths_entry(docker_json_at(v, "auths", NULL), host);
	if (entry && (r = from_auths_entry(entry, path, host, out, err)) < 0)
		goto out;
	if (has_creds(out))
		goto out;
	/* Nomad's order after auths: the registry's credHelpers entry, then credsStore. */
	helper_key = is_hub(host) ? "https://index.docker.io/v1/" : (char *)host;
	helpers[0] = docker_json_str(v, "credHelpers", helper_key, NULL);
	if (!helpers[0] && is_hub(host))
		helpers[0] = docker_json_str(v, "credHelpers", "docker.io", NULL);
	helpers[1] = docker_json_str(v, "credsStore", NULL);
	for (int i = 0; i < 2 && !has_creds(out); i++) {
		if (!helpers[i] || !helpers[i][0])
			continue;
		if (!valid_helper_name(helpers[i])) {
			r = drover_err_set(err, -EINVAL, "docker plugin option \"auth.config\": "
			                   "\"%.200s\": %s \"%.64s\" is not a helper name",
			                   path, i ? "credsStore" : "credHelpers entry", helpers[i]);
			goto out;
		}
		if ((r = docker_auth_from_helper(helpers[i], host, HELPER_TIMEOUT_MS, out, err)) < 0)
			goto out;
	}
	r = 0;
out:
	yajl_tree_free(v);
	return r;
}

int docker_auth_resolve(const docker_settings *s, const drover_value *task_auth,
                        const char *image, docker_auth *out, drover_err *err)
{
	char host[256];
	int r;

	memset(out, 0, sizeof(*out));
	docker_auth_registry(image, host, sizeof(host));
	if ((r = from_task(task_auth, out)) < 0) {
		docker_auth_clear(out);
		return drover_err_set(err, r, "out of memory");
	}
	if (has_creds(out))
		return 0;
	docker_auth_clear(out);
	if (s->auth_config && (r = from_config(s->auth_config, host, out, err)) < 0) {
		docker_auth_clear(out);
		return r;
	}
	if (has_creds(out))
		return 0;
	docker_auth_clear(out);
	if (s->auth_helper &&
	    (r = docker_auth_from_helper(s->auth_helper, host, HELPER_TIMEOUT_MS, out, err)) < 0) {
		docker_auth_clear(out);
		return r;
	}
	if (!has_creds(out))
		docker_auth_clear(out);
	return 0;
}

int docker_auth_header(const docker_auth *a, char **out)
{
	yajl_gen g;
	char *json, *b64;
	size_t len;

	*out = NULL;
	if (!has_creds(a))
		return 0;
	g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;
	yajl_gen_map_open(g);
	if (a->username)
		docker_gen_key_str(g, "username", a->username);
	if (a->password)
		docker_gen_key_str(g, "password", a->password);
	if (a->email)
		docker_gen_key_str(g, "email", a->email);
	if (a->server_address)
		docker_gen_key_str(g, "serveraddress", a->server_address);
	yajl_gen_map_close(g);
	json = docker_gen_take(g, &len);
	yajl_gen_free(g);
	if (!json)
		return -ENOMEM;
	b64 = docker_base64url(json, len);
	memset(json, 0, len);
	free(json);
	if (!b64)
		return -ENOMEM;
	*out = malloc(strlen(b64) + 32);
	if (*out)
		sprintf(*out, "X-Registry-Auth: %s", b64);
	wipe_free(b64);
	return *out ? 0 : -ENOMEM;
}

/* Time, /proc readings, child processes with deadlines, scratch directories. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

long long bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The fields after the command name, which may itself hold spaces and ')'. */
static int read_stat_fields(pid_t pid, char *buf, size_t len, char **after_comm)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? -e : -EIO;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	*after_comm = p + 2; /* field 3, the state */
	return 0;
}

/* Field `field` (1-based, as proc(5) numbers them, >= 3). */
static int stat_field(pid_t pid, int field, unsigned long long *out)
{
	char buf[1024], *p = NULL;
	int rc = read_stat_fields(pid, buf, sizeof(buf), &p);
	if (rc < 0)
		return rc;
	for (int i = 3; i < field; i++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	*out = strtoull(p, NULL, 10);
	return 0;
}

int bench_proc_cpu_ticks(pid_t pid, unsigned long long *ticks)
{
	unsigned long long u, s;
	int rc = stat_field(pid, 14, &u);
	if (rc == 0)
		rc = stat_field(pid, 15, &s);
	if (rc == 0)
		*ticks = u + s;
	return rc;
}

int bench_proc_cpu_ns(pid_t pid, unsigned long long *ns)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int ok = fscanf(f, "%llu", ns) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

unsigned long long bench_proc_start_time(pid_t pid)
{
	unsigned long long t = 0;
	return stat_field(pid, 22, &t) == 0 ? t : 0;
}

static int kib_line(const char *path, const char *key, unsigned long long *kib)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char line[256];
	size_t klen = strlen(key);
	int rc = -ENOENT;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			*kib = strtoull(line + klen, NULL, 10);
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

int bench_proc_pss_kib(pid_t pid, unsigned long long *kib)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	return kib_line(path, "Pss:", kib);
}

int bench_proc_rss_kib(pid_t pid, unsigned long long *kib)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return kib_line(path, "VmRSS:", kib);
}

pid_t bench_spawn(const char *const *argv, const char *stdout_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, stdout_path ? stdout_path : "/dev/null",
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		bench_die("cannot run \"%s\": %s", argv[0], strerror(rc));
	return pid;
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Polls `pidfd` (and `fd` when >= 0, appending what it reads to *out) until the
 * process exits; -ETIMEDOUT at the deadline. */
static int pump_until_exit(int pidfd, int fd, char **out, size_t *len, long long timeout_ms)
{
	long long deadline = bench_now_ns() + timeout_ms * 1000000LL;
	int exited = 0;
	while (!exited || fd >= 0) {
		struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
		long long left = (deadline - bench_now_ns()) / 1000000LL;
		if (left <= 0)
			return -ETIMEDOUT;
		int n = poll(p, fd >= 0 ? 2 : 1, (int)(left > 60000 ? 60000 : left));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (p[0].revents)
			exited = 1;
		if (fd >= 0 && p[1].revents) {
			char buf[65536];
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fd = -1;
				continue;
			}
			if (out) {
				char *grown = realloc(*out, *len + (size_t)r + 1);
				if (!grown)
					bench_die("out of memory");
				memcpy(grown + *len, buf, (size_t)r);
				*len += (size_t)r;
				grown[*len] = '\0';
				*out = grown;
			}
		}
	}
	return 0;
}

int bench_wait_child(pid_t pid, long long timeout_ms, const char *what)
{
	int pidfd = pidfd_of(pid);
	if (pidfd < 0)
		bench_die("pidfd_open of %s (pid %d): %s", what, (int)pid, strerror(errno));
	int rc = pump_until_exit(pidfd, -1, NULL, NULL, timeout_ms);
	close(pidfd);
	if (rc < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		bench_die("%s (pid %d) did not finish within %lld ms (%s): killed", what, (int)pid,
		          timeout_ms, strerror(-rc));
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		bench_die("waitpid of %s: %s", what, strerror(errno));
	return status;
}

int bench_run(const char *const *argv, long long timeout_ms, char **out)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		bench_die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0)
		bench_die("cannot run \"%s\": %s", argv[0], strerror(rc));
	int pidfd = pidfd_of(pid);
	if (pidfd < 0)
		bench_die("pidfd_open: %s", strerror(errno));
	char *text = NULL;
	size_t len = 0;
	rc = pump_until_exit(pidfd, pipefd[0], &text, &len, timeout_ms);
	close(pidfd);
	close(pipefd[0]);
	if (rc < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		free(text);
		bench_die("\"%s %s\" did not finish within %lld ms: killed", argv[0],
		          argv[1] ? argv[1] : "", timeout_ms);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		bench_die("waitpid: %s", strerror(errno));
	if (out)
		*out = text ? text : strdup("");
	else
		free(text);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int bench_wait_gone(pid_t pid, long long timeout_ms)
{
	int pidfd = pidfd_of(pid);
	if (pidfd < 0)
		return -errno;
	int rc = pump_until_exit(pidfd, -1, NULL, NULL, timeout_ms);
	close(pidfd);
	return rc;
}

static void remove_dir_hook(void *data)
{
	bench_rm_rf(data);
	free(data);
}

char *bench_tmpdir(const char *tag)
{
	char *path = malloc(256);
	if (!path)
		bench_die("out of memory");
	snprintf(path, 256, "/tmp/drover-bench-%s.XXXXXX", tag);
	if (!mkdtemp(path))
		bench_die("mkdtemp \"%s\": %s", path, strerror(errno));
	bench_on_cleanup(remove_dir_hook, path);
	return path;
}

void bench_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		bench_die("cannot write \"%s\": %s", path, strerror(errno));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void bench_rm_rf(const char *path)
{
	nftw(path, rm_entry, 64, FTW_DEPTH | FTW_PHYS);
}

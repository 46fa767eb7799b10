#include "cli_harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tests/test_wait.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *drover_path(void)
{
	const char *p = getenv("DROVER_TEST_DROVER");
	cr_assert(p, "DROVER_TEST_DROVER is not set: run the tests through `make check`");
	return p;
}

void cli_env_setup(cli_env *env)
{
	snprintf(env->root, sizeof(env->root), "/tmp/drover-cli-XXXXXX");
	cr_assert(mkdtemp(env->root), "mkdtemp: %s", strerror(errno));
	snprintf(env->data_dir, sizeof(env->data_dir), "%s/data", env->root);
	char *p = cli_write_file(env, "agent-enabled.json",
	                         "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}}}\n");
	snprintf(env->config_enabled, sizeof(env->config_enabled), "%s", p);
	free(p);
	p = cli_write_file(env, "agent-disabled.json", "{\"plugin\": {}}\n");
	snprintf(env->config_disabled, sizeof(env->config_disabled), "%s", p);
	free(p);
}

/* Whatever a test left running goes with its allocations: each task's
 * process group and its shim (from the shim's pids file, see host/proc.h),
 * waited for before the directory goes: a shim writing its exit status would
 * race the removal, and a task polling for a file in the removed directory
 * would run forever. */
static void kill_leftover_tasks(const cli_env *env)
{
	char pattern[600];
	snprintf(pattern, sizeof(pattern), "%s/run/*/*/pids", env->data_dir);
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *text = cli_slurp(g.gl_pathv[i]);
		int task = 0, shim = 0;
		unsigned long long task_start = 0;
		if (text && sscanf(text, "%d %llu %d", &task, &task_start, &shim) == 3) {
			if (task > 0)
				kill(-task, SIGKILL);
			if (shim > 0) {
				kill(shim, SIGKILL);
				if (!cli_wait_gone(shim, 10000))
					cr_log_warn("shim %d outlived SIGKILL", shim);
			}
		}
		free(text);
	}
	globfree(&g);
}

void cli_env_teardown(cli_env *env)
{
	if (env->root[0])
		kill_leftover_tasks(env);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->root);
	if (env->root[0] && system(cmd) != 0)
		cr_log_warn("could not remove %s", env->root);
}

char *cli_write_file(const cli_env *env, const char *name, const char *text)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/%s", env->root, name) > 0);
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	return path;
}

static int check_leaks;

const char *cli_plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

char *cli_write_exec_agent_config(const cli_env *env, const char *plugins)
{
	char text[2048];

	snprintf(text, sizeof(text),
	         "{\"client\": {\"chroot_env\": {\"/bin\": \"/bin\", \"/etc\": \"/etc\", \"/lib\": "
	         "\"/lib\", \"/lib64\": \"/lib64\", \"/usr\": \"/usr\"}}%s%s}\n",
	         plugins ? ",\n \"plugin\": " : "", plugins ? plugins : "");
	return cli_write_file(env, "agent.json", text);
}

char *cli_alloc_path(const cli_env *env, const char *rel)
{
	char dir[400], *out = NULL;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/alloc", env->data_dir);
	d = opendir(dir);
	cr_assert_not_null(d, "no allocation directory in %s", dir);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		cr_assert_gt(asprintf(&out, "%s/%s/%s", dir, e->d_name, rel), 0);
		break;
	}
	closedir(d);
	cr_assert_not_null(out, "no allocation in %s", dir);
	return out;
}

void cli_check_leaks(int on)
{
	check_leaks = on;
}

/* The environment for a drover child: the test's, with detect_leaks=0 added
 * to ASAN_OPTIONS (the last setting wins) unless leaks are checked. Built
 * before fork: the child only execs. */
static char **child_environ(void)
{
	extern char **environ;
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof(*env));
	cr_assert(env);
	for (size_t i = 0; i < n; i++) {
		if (!check_leaks && strncmp(environ[i], "ASAN_OPTIONS=", 13) == 0) {
			cr_assert(asprintf(&env[i], "%s:detect_leaks=0", environ[i]) > 0);
		} else {
			env[i] = strdup(environ[i]);
			cr_assert(env[i]);
		}
	}
	return env;
}

static void free_environ(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

static char **build_argv(const char *const *argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **full = calloc(n + 2, sizeof(*full));
	cr_assert(full);
	full[0] = (char *)drover_path();
	for (size_t i = 0; i < n; i++)
		full[i + 1] = (char *)argv[i];
	return full;
}

typedef struct buffer {
	char *data;
	size_t len;
} buffer;

static int drain(int fd, buffer *b)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n <= 0)
		return 0;
	b->data = realloc(b->data, b->len + (size_t)n + 1);
	cr_assert(b->data);
	memcpy(b->data + b->len, chunk, (size_t)n);
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	return 1;
}

void cli_run(cli_result *res, long long timeout_ms, const char *const *argv)
{
	int out[2], err[2];
	cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	char **full = build_argv(argv);
	char **envp = child_environ();
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execve(full[0], full, envp);
		_exit(127);
	}
	free(full);
	free_environ(envp);
	close(out[1]);
	close(err[1]);
	buffer bo = {0}, be = {0};
	int open_out = 1, open_err = 1;
	long long deadline = now_ms() + timeout_ms;
	*res = (cli_result){0};
	while (open_out || open_err) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			res->timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		struct pollfd fds[2] = {{.fd = open_out ? out[0] : -1, .events = POLLIN},
		                        {.fd = open_err ? err[0] : -1, .events = POLLIN}};
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && !drain(out[0], &bo))
			open_out = 0;
		if (fds[1].revents && !drain(err[0], &be))
			open_err = 0;
	}
	close(out[0]);
	close(err[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	res->out = bo.data ? bo.data : strdup("");
	res->err = be.data ? be.data : strdup("");
	/* In the sanitizer build the drover binary reports into its own stderr,
	 * which only this harness sees: a report there fails the test, except
	 * LeakSanitizer's tracer crashing alone, which the caller repeats. */
	if (check_leaks && strstr(res->err, "LeakSanitizer has encountered a fatal error") &&
	    strstr(res->err, "Tracer caught signal") && !strstr(res->err, "ERROR: ")) {
		res->lsan_tracer_crashed = 1;
		return;
	}
	cr_assert_null(strstr(res->err, "Sanitizer"), "sanitizer report from drover:\n%s", res->err);
	cr_assert_null(strstr(res->err, "runtime error:"), "UBSan report from drover:\n%s", res->err);
}

void cli_run_job(cli_result *res, long long timeout_ms, const cli_env *env, const char *config,
                 const char *job)
{
	const char *argv[] = { "run", "-config", config, "-plugin-dir", cli_plugin_dir(),
		               "-data-dir", env->data_dir, job, NULL };
	cli_run(res, timeout_ms, argv);
}

void cli_result_clear(cli_result *res)
{
	free(res->out);
	free(res->err);
	*res = (cli_result){0};
}

pid_t cli_spawn(const char *const *argv, int *out_fd)
{
	int out[2];
	cr_assert(pipe2(out, O_CLOEXEC) == 0);
	char **full = build_argv(argv);
	char **envp = child_environ();
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		execve(full[0], full, envp);
		_exit(127);
	}
	free(full);
	free_environ(envp);
	close(out[1]);
	*out_fd = out[0];
	return pid;
}

char *cli_read_until(int fd, const char *needle, long long timeout_ms)
{
	buffer b = {0};
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		if (b.data && strstr(b.data, needle))
			return b.data;
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (!drain(fd, &b))
			break;
	}
	free(b.data);
	return NULL;
}

int cli_wait(pid_t pid, long long timeout_ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	cr_assert(pidfd >= 0, "pidfd_open: %s", strerror(errno));
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	int ready = poll(&pfd, 1, (int)timeout_ms);
	close(pidfd);
	if (ready <= 0)
		return -1;
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

int cli_wait_gone(pid_t pid, long long timeout_ms)
{
	return test_wait_gone(pid, timeout_ms);
}

char *cli_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	buffer b = {0};
	while (drain(fileno(f), &b))
		;
	fclose(f);
	return b.data ? b.data : strdup("");
}

int cli_pid_alive(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *stat = cli_slurp(path);
	if (!stat)
		return 0;
	const char *paren = strrchr(stat, ')');
	int alive = paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
	free(stat);
	return alive;
}

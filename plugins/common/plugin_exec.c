/* See plugin_exec.h.
 *
 * The host may ignore SIGCHLD, and then its children are reaped by the
 * kernel and their exit status is lost. So the command runs under an
 * intermediate child that restores SIGCHLD, waits for it and sends its status
 * over a pipe; a timeout kills the intermediate's whole process group. */
#include "plugin_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin_env.h"

extern char **environ;

/* What the intermediate sends: the command's wait status, or the errno and
 * stage of a failed exec. */
struct exec_report {
	int stage; /* 0: ran, status valid; else a setup step failed with err */
	int err;
	int status;
};

enum { STAGE_OK = 0, STAGE_FORK, STAGE_STDIO, STAGE_CGROUP, STAGE_CREDENTIALS, STAGE_CHDIR,
       STAGE_EXEC };

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Async-signal-safe: writes our pid into <dir>/cgroup.procs for each dir of
 * the colon-separated list. */
static int join_cgroups(const char *list)
{
	char path[DROVER_PATH_MAX + 16], num[24];
	const char *p = list;
	int pid = (int)getpid(), n = 0, i;

	for (i = pid; i > 0; i /= 10)
		n++;
	for (i = n - 1; i >= 0; i--, pid /= 10)
		num[i] = (char)('0' + pid % 10);
	num[n] = '\0';
	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int fd;
		if (len + sizeof("/cgroup.procs") > sizeof(path))
			return -ENAMETOOLONG;
		memcpy(path, p, len);
		memcpy(path + len, "/cgroup.procs", sizeof("/cgroup.procs"));
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (write(fd, num, (size_t)n) < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		close(fd);
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static void __attribute__((noreturn))
run_command(const plugin_exec_ctx *x, const char *const *argv, char **envp,
            const int fds[3], int report_w)
{
	struct exec_report rep = { 0, 0, 0 };
	int hi[3], i;

	/* Out of the way of 0..3 first, so that the dup2s cannot clobber each other. */
	report_w = fcntl(report_w, F_DUPFD_CLOEXEC, 10);
	if (report_w < 0)
		_exit(127);
	for (i = 0; i < 3; i++) {
		hi[i] = fcntl(fds[i], F_DUPFD, 10);
		if (hi[i] < 0)
			goto stdio_failed;
	}
	for (i = 0; i < 3; i++)
		if (dup2(hi[i], i) < 0)
			goto stdio_failed;
	/* The report pipe on 3, closing itself on exec; no other descriptor of
	 * the host reaches the command. */
	if (report_w != 3 && dup3(report_w, 3, O_CLOEXEC) < 0)
		goto stdio_failed;
	report_w = 3;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0 || close_range(4, ~0U, 0) < 0)
		goto stdio_failed;
	if (x->cgroups && (rep.err = -join_cgroups(x->cgroups)) != 0) {
		rep.stage = STAGE_CGROUP;
		goto report;
	}
	if (x->gid >= 0) {
		gid_t g = (gid_t)x->gid;
		if (setgroups(1, &g) < 0 || setgid(g) < 0) {
			rep.stage = STAGE_CREDENTIALS;
			goto failed;
		}
	}
	if (x->uid >= 0 && setuid((uid_t)x->uid) < 0) {
		rep.stage = STAGE_CREDENTIALS;
		goto failed;
	}
	if (x->dir && chdir(x->dir) < 0) {
		rep.stage = STAGE_CHDIR;
		goto failed;
	}
	/* execvp looks the command up in the PATH of `environ`: the task's. */
	environ = envp;
	execvp(argv[0], (char *const *)argv);
	rep.stage = STAGE_EXEC;
	goto failed;
stdio_failed:
	rep.stage = STAGE_STDIO;
failed:
	rep.err = errno;
report:
	if (write(report_w, &rep, sizeof(rep)) < 0) {
		/* The parent then sees no report and says so. */
	}
	_exit(127);
}

/* The intermediate: own process group, SIGCHLD restored, one child. */
static void __attribute__((noreturn))
intermediate(const plugin_exec_ctx *x, const char *const *argv, char **envp,
             const int fds[3], int report_w, int exec_w, int exec_r)
{
	struct exec_report rep = { 0, 0, 0 };
	sigset_t none;
	ssize_t n;
	pid_t pid;
	int st = 0, sig;

	setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	pid = fork();
	if (pid < 0) {
		rep.stage = STAGE_FORK;
		rep.err = errno;
		goto out;
	}
	if (pid == 0) {
		close(exec_r);
		close(report_w);
		run_command(x, argv, envp, fds, exec_w);
	}
	close(exec_w);
	/* This process never execs, so O_CLOEXEC does not shut the host's
	 * descriptors here: a host that feeds the command's stdin through a pipe
	 * (drover-nomad-driver's ExecTaskStreaming) would never see the command
	 * reach end of input while this copy of the write end lives. Keep only
	 * the two pipes this process still uses. */
	{
		unsigned lo = (unsigned)(report_w < exec_r ? report_w : exec_r);
		unsigned hi = (unsigned)(report_w < exec_r ? exec_r : report_w);
		if (lo > 0)
			close_range(0, lo - 1, 0);
		if (hi > lo + 1)
			close_range(lo + 1, hi - 1, 0);
		close_range(hi + 1, ~0U, 0);
	}
	/* The command's setup report, if it failed before exec. */
	do
		n = read(exec_r, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep))
		rep.stage = STAGE_OK;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	rep.status = st;
out:
	if (write(report_w, &rep, sizeof(rep)) < 0) {
		/* Nothing more to do. */
	}
	_exit(0);
}

static const char *stage_what(int stage)
{
	switch (stage) {
	case STAGE_FORK: return "cannot fork";
	case STAGE_STDIO: return "cannot set up its standard streams";
	case STAGE_CGROUP: return "cannot join the task's cgroup";
	case STAGE_CREDENTIALS: return "cannot switch to the task's user";
	case STAGE_CHDIR: return "cannot change to the task's directory";
	default: return "cannot run it";
	}
}

/* prefix + argv as one NULL-ended array of borrowed pointers. */
static const char **argv_join(const char *const *prefix, const char *const *argv)
{
	size_t np = 0, na = 0;
	const char **out;

	while (prefix && prefix[np])
		np++;
	while (argv[na])
		na++;
	out = calloc(np + na + 1, sizeof(*out));
	if (!out)
		return NULL;
	if (np)
		memcpy(out, prefix, np * sizeof(*out));
	memcpy(out + np, argv, na * sizeof(*out));
	return out;
}

int plugin_exec_run(const plugin_exec_ctx *x, const drover_exec_request *req, int *exit_code,
                     drover_err *err)
{
	struct exec_report rep;
	const char **envp, **argv;
	int rp[2] = { -1, -1 }, ep[2] = { -1, -1 }, fds[3], devnull = -1, r = 0;
	long long deadline;
	size_t got = 0;
	pid_t pid;

	if (!req || req->struct_size < offsetof(drover_exec_request, tty) + sizeof(req->tty) ||
	    !req->argv || !req->argv[0] || !req->argv[0][0])
		return drover_err_set(err, -EINVAL, "task \"%s\": exec needs a command", x->task);
	if (req->tty)
		return drover_err_set(err, -ENOTSUP,
		                      "task \"%s\": %s cannot give an exec command a terminal: "
		                      "run it without a tty",
		                      x->task, x->driver ? x->driver : "this driver");
	if (req->timeout_ms < 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": exec timeout %lld ms is negative",
		                      x->task, req->timeout_ms);
	envp = plugin_env_overlay(x->env, req->env);
	argv = argv_join(x->prefix, req->argv);
	if (!envp || !argv) {
		free(envp);
		free(argv);
		return drover_err_set(err, -ENOMEM, "task \"%s\": out of memory", x->task);
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || pipe2(rp, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		r = drover_err_set(err, -errno, "task \"%s\": cannot prepare exec: %s", x->task,
		                   strerror(errno));
		goto out;
	}
	fds[0] = req->stdin_fd >= 0 ? req->stdin_fd : devnull;
	fds[1] = req->stdout_fd >= 0 ? req->stdout_fd : devnull;
	fds[2] = req->stderr_fd >= 0 ? req->stderr_fd : devnull;

	pid = fork();
	if (pid < 0) {
		r = drover_err_set(err, -errno, "task \"%s\": cannot fork to exec \"%s\": %s", x->task,
		                   req->argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(rp[0]);
		intermediate(x, argv, (char **)envp, fds, rp[1], ep[1], ep[0]);
	}
	setpgid(pid, pid); /* also in the child: whoever runs first */
	close(rp[1]);
	rp[1] = -1;
	close(ep[0]);
	close(ep[1]);
	ep[0] = ep[1] = -1;

	deadline = req->timeout_ms > 0 ? mono_ms() + req->timeout_ms : -1;
	memset(&rep, 0, sizeof(rep));
	while (got < sizeof(rep)) {
		struct pollfd pfd = { .fd = rp[0], .events = POLLIN };
		int timeout = -1;
		ssize_t n;
		if (deadline >= 0) {
			long long left = deadline - mono_ms();
			timeout = left <= 0 ? 0 : (left > INT_MAX ? INT_MAX : (int)left);
		}
		n = poll(&pfd, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0); /* ECHILD when the host ignores SIGCHLD: fine */
			r = drover_err_set(err, -ETIMEDOUT,
			                   "task \"%s\": exec \"%s\" did not finish within %lld ms and "
			                   "was killed",
			                   x->task, req->argv[0], req->timeout_ms);
			goto out;
		}
		n = read(rp[0], (char *)&rep + got, sizeof(rep) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	waitpid(pid, NULL, 0);
	if (got != sizeof(rep)) {
		r = drover_err_set(err, -EIO, "task \"%s\": exec \"%s\" ended without a status",
		                   x->task, req->argv[0]);
		goto out;
	}
	if (rep.stage != STAGE_OK) {
		int e = rep.err > 0 ? rep.err : EIO;
		r = drover_err_set(err, -e, "task \"%s\": exec \"%s\": %s: %s", x->task, req->argv[0],
		                   stage_what(rep.stage), strerror(e));
		goto out;
	}
	*exit_code = WIFSIGNALED(rep.status) ? 128 + WTERMSIG(rep.status)
	                                     : WEXITSTATUS(rep.status);
out:
	if (devnull >= 0)
		close(devnull);
	if (rp[0] >= 0)
		close(rp[0]);
	if (rp[1] >= 0)
		close(rp[1]);
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	free(envp);
	free(argv);
	return r;
}

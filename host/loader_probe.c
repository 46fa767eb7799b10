/* Probing a plugin in a forked child before it is loaded into the host
 * (DESIGN.md, "Loading"): a plugin that crashes or hangs in its constructors,
 * entry function, init, set_config or fingerprint takes down or blocks only the
 * child, and is refused by name with the step it was in.
 *
 * One fork per plugin, no exec: the child already has the host's code and the
 * parent's state (the options, the plugins loaded so far), so it runs the very
 * same steps as the in-process load. */
#include "config.h"

#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the child writes after its last step: anything else before EOF means it
 * did not get there. */
#define PROBE_DONE "done"

struct drover_probe {
	int fd; /* write end of the pipe, in the child */
};

void drover_probe_enter(drover_probe *probe, const char *phase)
{
	if (!probe)
		return;
	/* One write of a short line: atomic on a pipe, so the parent never sees
	 * half a phase. Errors are ignored: a parent that went away killed us with
	 * PR_SET_PDEATHSIG or SIGPIPE anyway. */
	char line[64];
	int n = snprintf(line, sizeof(line), "%s\n", phase);
	if (n > 0 && (size_t)n < sizeof(line)) {
		ssize_t w;
		do
			w = write(probe->fd, line, (size_t)n);
		while (w < 0 && errno == EINTR);
	}
}

long drover_probe_timeout_ms(void)
{
	const char *s = getenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS");
	if (s && *s) {
		char *end = NULL;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0 && v <= 24L * 3600 * 1000)
			return v;
	}
	return DROVER_PROBE_DEFAULT_TIMEOUT_MS;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "5 s" for whole seconds, "250 ms" otherwise. */
static void format_timeout(long ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%ld s", ms / 1000);
	else
		snprintf(buf, size, "%ld ms", ms);
}

static void signal_name(int signo, char *buf, size_t size)
{
	const char *abbrev = sigabbrev_np(signo);
	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", signo);
}

/* What a phase means to someone reading the refusal. */
static const char *describe_phase(const char *phase)
{
	if (!*phase)
		return "before loading it";
	if (strcmp(phase, DROVER_PROBE_PHASE_DLOPEN) == 0)
		return "dlopen, running its constructors";
	if (strcmp(phase, DROVER_PROBE_PHASE_ENTRY) == 0)
		return "its entry function " DROVER_DRIVER_ENTRY_SYMBOL;
	if (strcmp(phase, DROVER_PROBE_PHASE_DESCRIPTOR) == 0)
		return "reading its descriptor";
	return phase;
}

/* The child: never returns. _exit, not exit: no atexit handler of the host
 * (LeakSanitizer, a test framework, stdio buffers of the parent's output) may
 * run twice. */
static _Noreturn void run_child(int fd, pid_t parent, drover_probe_body body, void *data)
{
	/* Killed with the host: a hung probe must not outlive a host that was
	 * itself interrupted while waiting for it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	/* The plugin's own output would interleave with the host's: its logs in
	 * the child are dropped by the body, and a write to a closed pipe must kill
	 * only this child. */
	signal(SIGPIPE, SIG_DFL);
	/* A crash must end the child by its signal, so that the parent can name
	 * it: crash handlers the host installed (a sanitizer's SEGV report exits
	 * with status 1) are not the plugin's. And a probe that crashes leaves no
	 * core file behind in the host's working directory. */
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], SIG_DFL);
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	drover_probe probe = {.fd = fd};
	body(&probe, data);
	drover_probe_enter(&probe, PROBE_DONE);
	_exit(0);
}

/* Reads phase lines until "done", EOF or the deadline. Returns 1 when the
 * child said done, 0 on EOF, -ETIMEDOUT at the deadline. `last` is the last
 * phase the child entered. */
static int read_phases(int fd, long long deadline, char *last, size_t last_size)
{
	char buf[512];
	size_t len = 0;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		char *nl;
		char *line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strcmp(line, PROBE_DONE) == 0)
				return 1;
			snprintf(last, last_size, "%s", line);
			line = nl + 1;
		}
		len = strlen(line);
		memmove(buf, line, len + 1);
		if (len == sizeof(buf) - 1)
			len = 0; /* no phase is this long: a garbled line, dropped */
	}
}

/* Waits for the child's exit until the deadline, without blocking past it: a
 * plugin may have closed the pipe and then hung. Returns the pid or 0. */
static pid_t wait_until(pid_t pid, int *status, long long deadline)
{
	long sleep_us = 50;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r != 0 || now_ms() >= deadline)
			return r < 0 && errno == EINTR ? 0 : r;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = sleep_us * 1000};
		nanosleep(&ts, NULL);
		if (sleep_us < 10000)
			sleep_us *= 2;
	}
}

int drover_probe_run(const char *path, drover_probe_body body, void *data, drover_err *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		int e = errno;
		return drover_err_set(err, -e, "%s: cannot probe the plugin before loading it: pipe: %s",
		                      path, strerror(e));
	}
	/* Whatever the host has buffered must not be written twice. The child
	 * never flushes (it _exits), so this is only for output a plugin's
	 * constructor might write through the same FILE and flush. */
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return drover_err_set(err, -e, "%s: cannot probe the plugin before loading it: fork: %s",
		                      path, strerror(e));
	}
	if (pid == 0) {
		close(fds[0]);
		run_child(fds[1], parent, body, data);
	}
	close(fds[1]);

	long timeout = drover_probe_timeout_ms();
	long long deadline = now_ms() + timeout;
	char phase[64] = "";
	int said = read_phases(fds[0], deadline, phase, sizeof(phase));
	close(fds[0]);

	int status = 0;
	pid_t waited = 0;
	if (said == 1) {
		/* After "done" the child only calls _exit: a blocking wait is safe,
		 * and quicker than polling for it. */
		while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
	} else if (said == 0) {
		/* EOF without "done": usually the child dying, but a plugin may have
		 * closed the pipe and hung, so never wait past the deadline. */
		waited = wait_until(pid, &status, deadline);
	}
	if (waited == 0) {
		/* Hung (or exited in the instant since): kill and reap it, so that no
		 * child is left behind either way. */
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		char limit[32];
		format_timeout(timeout, limit, sizeof(limit));
		return drover_err_set(err, -ETIMEDOUT,
		                      "%s: did not finish loading within %s (hung in %s): the plugin was "
		                      "killed and is not loaded; fix or remove it (DROVER_PLUGIN_PROBE_TIMEOUT_MS "
		                      "sets the limit for a plugin that is only slow)",
		                      path, limit, describe_phase(phase));
	}
	if (waited < 0) {
		/* Reaped by someone else (SIGCHLD ignored, or a reaper thread): the
		 * phase line is all we know. */
		if (said == 1)
			return 0;
		return drover_err_set(err, -ECHILD,
		                      "%s: the probe of the plugin stopped while loading (in %s) and its "
		                      "exit status is unknown: the plugin is not loaded",
		                      path, describe_phase(phase));
	}
	if (WIFSIGNALED(status)) {
		char sig[32];
		signal_name(WTERMSIG(status), sig, sizeof(sig));
		return drover_err_set(err, -ECHILD,
		                      "%s: crashed with %s while loading (in %s): the plugin is not "
		                      "loaded; fix or remove it",
		                      path, sig, describe_phase(phase));
	}
	if (said == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return drover_err_set(err, -ECHILD,
	                      "%s: exited with status %d while loading (in %s): a plugin must not end "
	                      "the host process; fix or remove it",
	                      path, WIFEXITED(status) ? WEXITSTATUS(status) : -1, describe_phase(phase));
}

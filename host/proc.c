/* The proc_* host services: starting tasks under drover-shim and following
 * them through the shim's pid and the exit-status file it leaves in the state
 * directory. The protocol is described in proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef DROVER_SHIM_PATH
#error "DROVER_SHIM_PATH must be defined by the build"
#endif

#define REPORT_DEADLINE_MS 10000
#define STOP_RECORD_DEADLINE_MS 10000
#define EXIT_STATUS_FILE "exit-status"
#define PIDS_FILE "pids"

static char shim_path_override[DROVER_PATH_MAX];

/* The shim's start gate (drover-shim --start-gate): the shim starts the task
 * only after reading one byte on this fd, written once the host recorded the
 * shim's pid. */
#define SHIM_START_GATE_FD 4
#define SHIM_START_GATE_FD_TEXT "4"

static drover_proc_spawn_hook spawn_hook;

void drover_proc_set_spawn_hook(drover_proc_spawn_hook hook)
{
	spawn_hook = hook;
}

void drover_proc_set_shim_path(const char *path)
{
	if (!path)
		shim_path_override[0] = '\0';
	else
		snprintf(shim_path_override, sizeof(shim_path_override), "%s", path);
}

const char *drover_proc_shim_path(void)
{
	const char *env = getenv("DROVER_SHIM");

	if (env && env[0])
		return env;
	if (shim_path_override[0])
		return shim_path_override;
	return DROVER_SHIM_PATH;
}

/* State (third field) and start time (field 22) of /proc/<pid>/stat. */
static int proc_stat_read(int pid, char *state, unsigned long long *start_time)
{
	char path[64], buf[1024];
	const char *p;
	ssize_t n;
	int fd, field;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -ESRCH;
	*state = p[2];
	p++;
	for (field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -ESRCH;
	*start_time = strtoull(p + 1, NULL, 10);
	return 0;
}

static int proc_alive(int pid, unsigned long long start_time);

unsigned long long drover_proc_start_time(int pid)
{
	unsigned long long t = 0;
	char state;

	if (proc_stat_read(pid, &state, &t) < 0)
		return 0;
	return t;
}

int drover_proc_alive(int pid, unsigned long long start_time)
{
	return proc_alive(pid, start_time);
}

/* The process is still the one recorded (not a reused pid) and has not exited. */
static int proc_alive(int pid, unsigned long long start_time)
{
	unsigned long long t;
	char state;

	if (proc_stat_read(pid, &state, &t) < 0)
		return 0;
	return t == start_time && state != 'Z' && state != 'X';
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
#define _cleanup_fd_ __attribute__((cleanup(close_fd)))

/* poll() one descriptor for POLLIN until `deadline` (monotonic ms, < 0: none).
 * 1 readable, 0 timed out, negative errno. */
static int poll_until(int fd, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		int timeout = -1, r;
		if (deadline >= 0) {
			long long left = deadline - mono_ms();
			timeout = left <= 0 ? 0 : (left > INT_MAX ? INT_MAX : (int)left);
		}
		r = poll(&pfd, 1, timeout);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int check_dir(const char *field, const char *path, drover_err *err)
{
	struct stat st;

	if (!path || !path[0])
		return drover_err_set(err, -EINVAL, "spawn request: %s is missing", field);
	if (path[0] != '/')
		return drover_err_set(err, -EINVAL, "spawn request: %s \"%s\" is not an absolute path",
		                      field, path);
	if (strlen(path) >= DROVER_PATH_MAX - 64)
		return drover_err_set(err, -ENAMETOOLONG, "spawn request: %s \"%s\" is too long", field,
		                      path);
	if (stat(path, &st) < 0)
		return drover_err_set(err, -errno, "spawn request: %s \"%s\": %s", field, path,
		                      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return drover_err_set(err, -ENOTDIR, "spawn request: %s \"%s\" is not a directory",
		                      field, path);
	return 0;
}

/* The shim's files decide what the host kills and reports: a directory
 * another user (the task) can write would let it forge them. */
static int check_state_dir(const char *path, drover_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return drover_err_set(err, -errno, "spawn request: state_dir \"%s\": %s", path,
		                      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return drover_err_set(err, -ENOTDIR,
		                      "spawn request: state_dir \"%s\" is a symbolic link or not a "
		                      "directory",
		                      path);
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return drover_err_set(err, -EPERM,
		                      "spawn request: state_dir \"%s\" (mode %04o, owner uid %u) can be "
		                      "written by another user than uid %u, so a task could forge the "
		                      "shim's files: give drover_task_config.state_dir (ABI 1.2)",
		                      path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		                      (unsigned)geteuid());
	return 0;
}

/* Members beyond the caller's struct_size are absent: a plugin of ABI 1.0
 * never set them. */
static const char *spawn_cgroup(const drover_spawn_request *req)
{
	if (req->struct_size < offsetof(drover_spawn_request, cgroup) + sizeof(req->cgroup))
		return NULL;
	return req->cgroup;
}

static int spawn_oom_score_adj(const drover_spawn_request *req)
{
	if (req->struct_size <
	    offsetof(drover_spawn_request, oom_score_adj) + sizeof(req->oom_score_adj))
		return 0;
	return req->oom_score_adj;
}

/* Every element of the ":"-list is an existing absolute directory. */
static int check_cgroups(const char *list, drover_err *err)
{
	char dir[DROVER_PATH_MAX];
	const char *p = list;
	int r;

	if (!list)
		return 0;
	if (!list[0])
		return drover_err_set(err, -EINVAL, "spawn request: cgroup is empty: give NULL for none");
	while (p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(dir))
			return drover_err_set(err, -EINVAL,
			                      "spawn request: cgroup \"%.200s\" holds an empty or too long "
			                      "directory",
			                      list);
		memcpy(dir, p, len);
		dir[len] = '\0';
		if ((r = check_dir("cgroup", dir, err)) < 0)
			return r;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int spawn_validate(const drover_spawn_request *req, drover_err *err)
{
	int r;

	if (!req || req->struct_size < offsetof(drover_spawn_request, cgroup))
		return drover_err_set(err, -EINVAL,
		                      "spawn request: struct_size %u is smaller than ABI 1.0's",
		                      req ? req->struct_size : 0);
	if (!req->argv || !req->argv[0] || !req->argv[0][0])
		return drover_err_set(err, -EINVAL, "spawn request: argv is empty: give the command");
	if ((r = check_dir("state_dir", req->state_dir, err)) < 0 ||
	    (r = check_state_dir(req->state_dir, err)) < 0)
		return r;
	if ((r = check_dir("log_dir", req->log_dir, err)) < 0)
		return r;
	if (req->work_dir && (r = check_dir("work_dir", req->work_dir, err)) < 0)
		return r;
	if (!req->log_name || !req->log_name[0] || strchr(req->log_name, '/') ||
	    strlen(req->log_name) > 200)
		return drover_err_set(err, -EINVAL,
		                      "spawn request: log_name \"%s\" must be a file name of 1 to 200 "
		                      "characters without \"/\"",
		                      req->log_name ? req->log_name : "");
	if (req->log_max_files < 1 || req->log_max_files > 100000)
		return drover_err_set(err, -EINVAL,
		                      "spawn request: log_max_files %u is out of range (1 to 100000)",
		                      req->log_max_files);
	if (req->log_max_file_size < 1 || req->log_max_file_size > (1ULL << 50))
		return drover_err_set(err, -EINVAL,
		                      "spawn request: log_max_file_size %llu is out of range (1 byte "
		                      "to 1 PiB)",
		                      req->log_max_file_size);
	if (req->uid < -1 || req->gid < -1)
		return drover_err_set(err, -EINVAL, "spawn request: uid %d / gid %d must be -1 or an id",
		                      req->uid, req->gid);
	if ((r = check_cgroups(spawn_cgroup(req), err)) < 0)
		return r;
	if (spawn_oom_score_adj(req) < 0 || spawn_oom_score_adj(req) > 1000)
		return drover_err_set(err, -EINVAL,
		                      "spawn request: oom_score_adj %d is out of range (0 to 1000)",
		                      spawn_oom_score_adj(req));
	return 0;
}

/* Everything the exec of the shim needs, prepared before fork: between fork and
 * exec only async-signal-safe calls are allowed in a threaded host. */
typedef struct shim_cmd {
	char **argv;
	char numbers[5][32];
} shim_cmd;

static void shim_cmd_free(shim_cmd *c)
{
	free(c->argv);
	c->argv = NULL;
}

static int shim_cmd_build(shim_cmd *c, const char *shim, const drover_spawn_request *req,
                          const drover_proc_spawn_opts *opts)
{
	size_t nargs = 0, i = 0, k;

	while (req->argv[nargs])
		nargs++;
	c->argv = calloc(nargs + 28, sizeof(char *));
	if (!c->argv)
		return -ENOMEM;
	snprintf(c->numbers[0], sizeof(c->numbers[0]), "%u", req->log_max_files);
	snprintf(c->numbers[1], sizeof(c->numbers[1]), "%llu", req->log_max_file_size);
	snprintf(c->numbers[2], sizeof(c->numbers[2]), "%d", req->uid);
	snprintf(c->numbers[3], sizeof(c->numbers[3]), "%d", req->gid);
	snprintf(c->numbers[4], sizeof(c->numbers[4]), "%d", spawn_oom_score_adj(req));
	c->argv[i++] = (char *)shim;
	c->argv[i++] = (char *)"--state-dir";
	c->argv[i++] = (char *)req->state_dir;
	c->argv[i++] = (char *)"--log-dir";
	c->argv[i++] = (char *)req->log_dir;
	c->argv[i++] = (char *)"--log-name";
	c->argv[i++] = (char *)req->log_name;
	c->argv[i++] = (char *)"--log-max-files";
	c->argv[i++] = c->numbers[0];
	c->argv[i++] = (char *)"--log-max-size";
	c->argv[i++] = c->numbers[1];
	if (req->work_dir) {
		c->argv[i++] = (char *)"--work-dir";
		c->argv[i++] = (char *)req->work_dir;
	}
	if (req->uid >= 0) {
		c->argv[i++] = (char *)"--uid";
		c->argv[i++] = c->numbers[2];
	}
	if (req->gid >= 0) {
		c->argv[i++] = (char *)"--gid";
		c->argv[i++] = c->numbers[3];
	}
	if (spawn_cgroup(req)) {
		c->argv[i++] = (char *)"--cgroup";
		c->argv[i++] = (char *)spawn_cgroup(req);
	}
	if (spawn_oom_score_adj(req) != 0) {
		c->argv[i++] = (char *)"--oom-score-adj";
		c->argv[i++] = c->numbers[4];
	}
	if (opts && opts->stdout_fifo) {
		c->argv[i++] = (char *)"--stdout-fifo";
		c->argv[i++] = (char *)opts->stdout_fifo;
		c->argv[i++] = (char *)"--stderr-fifo";
		c->argv[i++] = (char *)opts->stderr_fifo;
	}
	c->argv[i++] = (char *)"--start-gate";
	c->argv[i++] = (char *)SHIM_START_GATE_FD_TEXT;
	c->argv[i++] = (char *)"--";
	for (k = 0; k < nargs; k++)
		c->argv[i++] = (char *)req->argv[k];
	c->argv[i] = NULL;
	return 0;
}

/* The shim is created by two chained clone(CLONE_VM | CLONE_VFORK) calls
 * rather than fork, fork: fork copies the page tables of the host (milliseconds
 * for a host with a few hundred MiB mapped) and every later write of the host
 * then takes a copy-on-write fault; a CLONE_VM child shares the host's memory
 * and costs about as much as posix_spawn. The host clones the helper and is
 * suspended until the helper is gone; the helper clones the shim and is
 * suspended until the shim exec'd (or died), then exits: the shim is never the
 * host's child, and when clone returns in the host nothing runs on the host's
 * memory any more, so nothing needs waiting for or polling. Both run with every
 * signal blocked (a handler of the host must never run on the host's memory
 * from another process) and call only plain system calls; drover-shim starts
 * with every signal blocked and sets its own mask. */
#define SPAWN_STACK_SIZE (64 * 1024)

typedef struct spawn_ctx {
	const char *shim;
	char **argv;
	char **envp;
	int devnull;
	int report_w;
	int gate_r;        /* the start gate's read end, fd 4 in the shim */
	char *shim_stack;  /* top of the shim child's stack */
	int clone_errno;   /* set by the helper when it could not clone */
	int exec_errno;    /* set by the shim child when the exec failed */
	pid_t shim_pid;    /* set by the helper: the shim, once it exec'd */
} spawn_ctx;

/* Raw exit: no atexit handlers, no sanitizer exit hooks, in a process that
 * shares the host's memory. */
static void __attribute__((noreturn)) spawn_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define SPAWN_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
#endif
#endif
#ifndef SPAWN_NO_SANITIZE
#define SPAWN_NO_SANITIZE
#endif

/* The shim child: its own session, /dev/null on 0-2, the report pipe on 3,
 * the start gate on 4, nothing else, then the exec. Every source fd is above
 * 4, so no dup2 clobbers one still to be copied. */
static int SPAWN_NO_SANITIZE spawn_shim_child(void *arg)
{
	spawn_ctx *c = arg;

	setsid();
	if (dup2(c->devnull, 0) < 0 || dup2(c->devnull, 1) < 0 || dup2(c->devnull, 2) < 0 ||
	    dup2(c->report_w, 3) < 0 || dup2(c->gate_r, SHIM_START_GATE_FD) < 0 ||
	    close_range(SHIM_START_GATE_FD + 1, ~0U, 0) < 0) {
		c->exec_errno = errno ? errno : EIO;
		spawn_exit(127);
	}
	execve(c->shim, c->argv, c->envp);
	c->exec_errno = errno ? errno : EIO;
	spawn_exit(127);
}

/* The helper: clones the shim and exits as soon as the shim exec'd, so that
 * the shim is reparented to init (or the nearest subreaper). */
static int SPAWN_NO_SANITIZE spawn_helper(void *arg)
{
	spawn_ctx *c = arg;

	pid_t pid = clone(spawn_shim_child, c->shim_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
	if (pid < 0) {
		c->clone_errno = errno ? errno : EAGAIN;
		spawn_exit(1);
	}
	c->shim_pid = pid;
	spawn_exit(0);
}

/* Runs the helper and returns once the shim exec'd (0), or a negative errno
 * with the message filled. */
static int spawn_detached(spawn_ctx *c, const char *what, drover_err *err)
{
	sigset_t all, old;
	char *stacks;
	pid_t helper;
	int st = 0, r = 0;

	stacks = mmap(NULL, 2 * SPAWN_STACK_SIZE, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stacks == MAP_FAILED)
		return drover_err_set(err, -errno, "cannot allocate a stack to start \"%s\": %s", what,
		                      strerror(errno));
	/* Stacks grow down on every architecture Linux's glibc clone() supports
	 * but hppa, which drover does not build for. */
	c->shim_stack = stacks + 2 * SPAWN_STACK_SIZE;
	c->clone_errno = 0;
	c->exec_errno = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	helper = clone(spawn_helper, stacks + SPAWN_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
	if (helper < 0)
		r = -errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (helper > 0) {
		/* With SIGCHLD ignored by the host, waitpid fails with ECHILD: the
		 * errno fields below still tell what happened. */
		while (waitpid(helper, &st, __WALL) < 0 && errno == EINTR)
			;
	}
	munmap(stacks, 2 * SPAWN_STACK_SIZE);
	if (r < 0)
		return drover_err_set(err, r, "cannot start a process for \"%s\": %s", what,
		                      strerror(-r));
	if (c->clone_errno)
		return drover_err_set(err, -c->clone_errno,
		                      "cannot start drover-shim for \"%s\": %s: the system is out of "
		                      "processes or memory",
		                      what, strerror(c->clone_errno));
	/* E2BIG is the job's doing (its argv and environment), not the installation's. */
	if (c->exec_errno == E2BIG)
		return drover_err_set(err, -E2BIG,
		                      "cannot start \"%s\": its command line and environment are larger "
		                      "than the kernel accepts (%s): shorten the task's Config args or Env, "
		                      "or the Meta values they reference",
		                      what, strerror(E2BIG));
	if (c->exec_errno)
		return drover_err_set(err, -c->exec_errno,
		                      "cannot execute drover-shim \"%s\": %s: set DROVER_SHIM or check "
		                      "the installation",
		                      c->shim, strerror(c->exec_errno));
	if (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0))
		return drover_err_set(err, -EAGAIN,
		                      "cannot start drover-shim for \"%s\": its helper process failed",
		                      what);
	return 0;
}

/* Reads the shim's one report line, within the deadline. */
static int read_report(int fd, char *line, size_t len, const char *shim, drover_err *err)
{
	long long deadline = mono_ms() + REPORT_DEADLINE_MS;
	size_t used = 0;

	for (;;) {
		ssize_t n;
		int r = poll_until(fd, deadline);
		if (r == 0)
			return drover_err_set(err, -ETIMEDOUT,
			                      "drover-shim \"%s\" did not report within %d s", shim,
			                      REPORT_DEADLINE_MS / 1000);
		if (r < 0)
			return drover_err_set(err, r, "waiting for drover-shim \"%s\": %s", shim,
			                      strerror(-r));
		n = read(fd, line + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return drover_err_set(err, -errno, "reading the report of drover-shim \"%s\": %s",
			                      shim, strerror(errno));
		used += (size_t)n;
		line[used] = '\0';
		if (n == 0 || memchr(line, '\n', used) || used == len - 1)
			break;
	}
	if (!memchr(line, '\n', used))
		return drover_err_set(err, -EPROTO,
		                      "drover-shim \"%s\" exited without reporting on the task: run it "
		                      "by hand to see why",
		                      shim);
	*strchr(line, '\n') = '\0';
	return 0;
}

static int parse_report(const char *line, const char *shim, const drover_spawn_request *req,
                        drover_proc *out, drover_err *err)
{
	drover_proc p;
	int e = 0, off = 0;

	memset(&p, 0, sizeof(p));
	if (sscanf(line, "ok %d %llu %d %llu", &p.pid, &p.pid_start_time, &p.shim_pid,
	           &p.shim_start_time) == 4 &&
	    p.pid > 0 && p.shim_pid > 0) {
		p.struct_size = sizeof(p);
		p.started_at_ms = wall_ms();
		snprintf(p.state_dir, sizeof(p.state_dir), "%s", req->state_dir);
		*out = p;
		return 0;
	}
	if (sscanf(line, "error %d %n", &e, &off) == 1 && off > 0)
		return drover_err_set(err, e > 0 ? -e : -EIO, "%s", line + off);
	return drover_err_set(err, -EPROTO, "drover-shim \"%s\" sent an unexpected report \"%s\"",
	                      shim, line);
}

/* Writes the start gate's byte. A shim that already died (its report says
 * why) leaves EPIPE; its SIGPIPE, which would kill the host, is blocked in
 * this thread for the write and taken back if it came. */
static int open_gate(int gate_w)
{
	static const struct timespec no_wait = { 0, 0 };
	sigset_t pipe_set, old;
	ssize_t n;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	do
		n = write(gate_w, "g", 1);
	while (n < 0 && errno == EINTR);
	e = n < 0 ? errno : 0;
	if (e == EPIPE && !sigismember(&old, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &no_wait);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e && e != EPIPE ? -e : 0;
}

/* Moves *fd above `floor` (keeping O_CLOEXEC), closing the old one. */
static int fd_above(int *fd, int floor)
{
	if (*fd > floor)
		return 0;
	int moved = fcntl(*fd, F_DUPFD_CLOEXEC, floor + 1);
	if (moved < 0)
		return -errno;
	close(*fd);
	*fd = moved;
	return 0;
}

int drover_proc_spawn(void *host_data, const drover_spawn_request *req, drover_proc *out,
                      drover_err *err)
{
	return drover_proc_spawn_ex(host_data, req, NULL, out, err);
}

int drover_proc_spawn_ex(void *host_data, const drover_spawn_request *req,
                         const drover_proc_spawn_opts *opts, drover_proc *out, drover_err *err)
{
	static const char *const empty_env[] = { NULL };
	const char *shim = drover_proc_shim_path();
	_cleanup_fd_ int devnull = -1, report_r = -1, report_w = -1, gate_r = -1, gate_w = -1;
	shim_cmd cmd = { 0 };
	spawn_ctx sc;
	char line[1024];
	int p[2], g[2], r;

	(void)host_data;
	if ((r = spawn_validate(req, err)) < 0)
		return r;
	if (opts && (!opts->stdout_fifo != !opts->stderr_fifo ||
	             (opts->stdout_fifo && (opts->stdout_fifo[0] != '/' ||
	                                    opts->stderr_fifo[0] != '/'))))
		return drover_err_set(err, -EINVAL, "spawn: \"stdout_path\" and \"stderr_path\" "
		                      "must both be absolute paths");
	if (access(shim, X_OK) < 0)
		return drover_err_set(err, -errno,
		                      "drover-shim \"%s\" cannot be executed: %s: set DROVER_SHIM to its "
		                      "path or reinstall drover",
		                      shim, strerror(errno));
	if (pipe2(p, O_CLOEXEC) < 0)
		return drover_err_set(err, -errno, "cannot create a pipe for drover-shim: %s",
		                      strerror(errno));
	report_r = p[0];
	report_w = p[1];
	if (pipe2(g, O_CLOEXEC) < 0)
		return drover_err_set(err, -errno, "cannot create a pipe for drover-shim: %s",
		                      strerror(errno));
	gate_r = g[0];
	gate_w = g[1];
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return drover_err_set(err, -errno, "cannot open /dev/null: %s", strerror(errno));
	/* Above the shim's fixed fds, so that the dup2s onto 0..4 in the child
	 * cannot clobber one that is still to be copied. */
	if ((r = fd_above(&report_w, SHIM_START_GATE_FD)) < 0 ||
	    (r = fd_above(&gate_r, SHIM_START_GATE_FD)) < 0 ||
	    (r = fd_above(&devnull, SHIM_START_GATE_FD)) < 0)
		return drover_err_set(err, r, "cannot move a descriptor for drover-shim: %s",
		                      strerror(-r));
	if (shim_cmd_build(&cmd, shim, req, opts) < 0)
		return drover_err_set(err, -ENOMEM, "out of memory starting \"%s\"", req->argv[0]);

	sc.shim = shim;
	sc.argv = cmd.argv;
	sc.envp = (char **)(req->env ? req->env : empty_env);
	sc.devnull = devnull;
	sc.report_w = report_w;
	sc.gate_r = gate_r;
	sc.shim_pid = 0;
	r = spawn_detached(&sc, req->argv[0], err);
	shim_cmd_free(&cmd);
	close_fd(&report_w);
	close_fd(&gate_r);
	if (r < 0)
		return r;
	/* The shim exists before it reports: recorded now, so that a host that
	 * dies while the shim starts the task leaves its successor the shim to
	 * wait for (intent before effect). Only then is the shim let through its
	 * start gate: a host that dies before (or while) recording it closes the
	 * gate's write end, and the shim exits without starting the task, so no
	 * task ever runs that its successor could not find. */
	if (spawn_hook && sc.shim_pid > 0 && !sc.exec_errno)
		spawn_hook(req->state_dir, sc.shim_pid, drover_proc_start_time(sc.shim_pid));
	if ((r = open_gate(gate_w)) < 0)
		return drover_err_set(err, r, "cannot let drover-shim start \"%s\": %s", req->argv[0],
		                      strerror(-r));
	close_fd(&gate_w);
	if ((r = read_report(report_r, line, sizeof(line), shim, err)) < 0)
		return r;
	return parse_report(line, shim, req, out, err);
}

static int pidfd_open_checked(int pid, unsigned long long start_time)
{
	int fd;

	if (pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* The pid may have been reused since; once the pidfd is open, the check
	 * stays true for the process it refers to. */
	if (drover_proc_start_time(pid) != start_time) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

int drover_proc_wait_fd(void *host_data, const drover_proc *proc, drover_err *err)
{
	int fd;

	(void)host_data;
	fd = pidfd_open_checked(proc->shim_pid, proc->shim_start_time);
	/* A zombie shim (exited, not yet reaped by init) has already recorded its status. */
	if (fd >= 0 && !proc_alive(proc->shim_pid, proc->shim_start_time)) {
		close(fd);
		fd = -ESRCH;
	}
	if (fd == -ESRCH)
		return drover_err_set(err, -ESRCH, "the supervisor of task pid %d (drover-shim pid %d) "
		                      "has already exited",
		                      proc->pid, proc->shim_pid);
	if (fd < 0)
		return drover_err_set(err, fd, "cannot watch drover-shim pid %d: %s", proc->shim_pid,
		                      strerror(-fd));
	return fd;
}

/* Reads the shim's file `name` of `state_dir` into buf (NUL-ended): its
 * length, or a negative errno (-ENOENT: not there). The name is opened
 * relative to the directory, never through a symbolic link, never blocking
 * (a FIFO planted in the task directory of a handle from before ABI 1.2),
 * and only a regular file is read. */
static ssize_t state_file_read(const char *state_dir, const char *name, char *buf, size_t len,
                               struct stat *st_out)
{
	_cleanup_fd_ int dfd = -1, fd = -1;
	struct stat st;
	ssize_t n;

	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (st_out)
		*st_out = st;
	return n;
}

/* 0 and `res` filled, -ENOENT when the file is not there, other errors filled. */
static int read_exit_status(const drover_proc *proc, drover_exit_result *res, drover_err *err)
{
	char path[DROVER_PATH_MAX + 32], buf[512];
	drover_exit_result r;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", proc->state_dir, EXIT_STATUS_FILE);
	n = state_file_read(proc->state_dir, EXIT_STATUS_FILE, buf, sizeof(buf), NULL);
	if (n == -ENOENT)
		return -ENOENT;
	if (n == -EBADMSG)
		return drover_err_set(err, -EBADMSG,
		                      "the exit status \"%s\" is not a regular file: something other "
		                      "than drover-shim put it there",
		                      path);
	if (n < 0)
		return drover_err_set(err, (int)n, "cannot read the exit status \"%s\": %s", path,
		                      strerror((int)-n));
	memset(&r, 0, sizeof(r));
	if (sscanf(buf, "exit_code=%d\nsignal=%d\noom_killed=%d\nexited_at_ms=%lld\n", &r.exit_code,
	           &r.signal, &r.oom_killed, &r.exited_at_ms) != 4)
		return drover_err_set(err, -EBADMSG,
		                      "the exit status \"%s\" is not in drover-shim's format: remove it "
		                      "if it was edited by hand",
		                      path);
	res->exit_code = r.exit_code;
	res->signal = r.signal;
	res->oom_killed = r.oom_killed;
	res->exited_at_ms = r.exited_at_ms;
	res->error[0] = '\0';
	return 0;
}

int drover_proc_status(void *host_data, const drover_proc *proc, drover_exit_result *res,
                       drover_err *err)
{
	drover_exit_result r;
	int rc;

	(void)host_data;
	memset(&r, 0, sizeof(r));
	rc = read_exit_status(proc, &r, err);
	if (rc == -ENOENT) {
		if (proc_alive(proc->shim_pid, proc->shim_start_time))
			return drover_err_set(err, -EAGAIN, "task pid %d is still running", proc->pid);
		/* It may have written the file just before it exited. */
		rc = read_exit_status(proc, &r, err);
		if (rc == -ENOENT) {
			r.exit_code = -1;
			/* The state dir is cut to what fits in the 256 bytes of `error`. */
			snprintf(r.error, sizeof(r.error),
			         "the supervisor of the task (drover-shim pid %d) died without recording "
			         "an exit status in \"%.140s\"",
			         proc->shim_pid, proc->state_dir);
			rc = 0;
		}
	}
	if (rc < 0)
		return rc;
	res->exit_code = r.exit_code;
	res->signal = r.signal;
	res->oom_killed = r.oom_killed;
	res->exited_at_ms = r.exited_at_ms;
	memcpy(res->error, r.error, sizeof(res->error));
	return 0;
}

int drover_proc_signal(void *host_data, const drover_proc *proc, int signo, int group,
                       drover_err *err)
{
	(void)host_data;
	if (signo < 0 || signo >= NSIG)
		return drover_err_set(err, -EINVAL, "signal %d is not a valid signal number", signo);
	if (group) {
		if (!proc_alive(proc->pid, proc->pid_start_time))
			return drover_err_set(err, -ESRCH, "task pid %d has already exited", proc->pid);
		if (kill(-proc->pid, signo) < 0)
			return drover_err_set(err, -errno, "cannot signal the process group of task pid "
			                      "%d: %s",
			                      proc->pid, strerror(errno));
		return 0;
	} else {
		/* Through a pidfd: no window in which the pid could be reused. */
		_cleanup_fd_ int fd = pidfd_open_checked(proc->pid, proc->pid_start_time);
		if (fd < 0)
			return drover_err_set(err, -ESRCH, "task pid %d has already exited", proc->pid);
		if (syscall(SYS_pidfd_send_signal, fd, signo, NULL, 0) < 0)
			return drover_err_set(err, -errno, "cannot signal task pid %d: %s", proc->pid,
			                      strerror(errno));
		return 0;
	}
}

int drover_proc_stop(void *host_data, const drover_proc *proc, int signo, long long timeout_ms,
                     drover_err *err)
{
	_cleanup_fd_ int shim_fd = -1;
	long long deadline;
	int r;

	if (signo < 0 || signo >= NSIG)
		return drover_err_set(err, -EINVAL, "signal %d is not a valid signal number", signo);
	shim_fd = pidfd_open_checked(proc->shim_pid, proc->shim_start_time);
	if (shim_fd < 0)
		return 0; /* the supervisor is gone: whatever was recorded is final */

	if (signo > 0)
		drover_proc_signal(host_data, proc, signo, 0, NULL);
	r = poll_until(shim_fd, mono_ms() + (timeout_ms > 0 ? timeout_ms : 0));
	if (r == 0) {
		/* Out of patience: the whole process group, as Nomad does after the kill
		 * timeout. The shim then kills and reaps what is left. */
		drover_proc_signal(host_data, proc, SIGKILL, 1, NULL);
		deadline = mono_ms() + STOP_RECORD_DEADLINE_MS;
		r = poll_until(shim_fd, deadline);
	}
	if (r < 0)
		return drover_err_set(err, r, "waiting for task pid %d to stop: %s", proc->pid,
		                      strerror(-r));
	if (r == 0)
		return drover_err_set(err, -ETIMEDOUT,
		                      "task pid %d did not exit within %d s of SIGKILL (a process stuck "
		                      "in the kernel?); drover-shim pid %d still waits for it",
		                      proc->pid, STOP_RECORD_DEADLINE_MS / 1000, proc->shim_pid);
	return 0;
}

int drover_proc_find(void *host_data, const char *state_dir, drover_proc *out, drover_err *err)
{
	char buf[128], tail;
	struct stat st;
	drover_proc p;
	ssize_t n;

	(void)host_data;
	if (!state_dir || state_dir[0] != '/' || strlen(state_dir) >= sizeof(p.state_dir))
		return drover_err_set(err, -EINVAL, "proc_find: state_dir \"%.200s\" is not an "
		                      "absolute path of less than %d bytes",
		                      state_dir ? state_dir : "", DROVER_PATH_MAX);
	n = state_file_read(state_dir, PIDS_FILE, buf, sizeof(buf), &st);
	if (n == -ENOENT)
		return drover_err_set(err, -ENOENT, "no task was started in \"%.3900s\" (no %s file)",
		                      state_dir, PIDS_FILE);
	if (n < 0 && n != -EBADMSG)
		return drover_err_set(err, (int)n, "cannot read \"%.3900s/%s\": %s", state_dir,
		                      PIDS_FILE, strerror((int)-n));
	memset(&p, 0, sizeof(p));
	if (n < 0 ||
	    sscanf(buf, "%d %llu %d %llu%c", &p.pid, &p.pid_start_time, &p.shim_pid,
	           &p.shim_start_time, &tail) != 5 ||
	    tail != '\n' || p.pid <= 0 || p.shim_pid <= 0 || p.pid_start_time == 0 ||
	    p.shim_start_time == 0)
		return drover_err_set(err, -EBADMSG, "\"%.3900s/%s\" is not in drover-shim's format",
		                      state_dir, PIDS_FILE);
	p.struct_size = sizeof(p);
	p.started_at_ms = (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	snprintf(p.state_dir, sizeof(p.state_dir), "%s", state_dir);
	*out = p;
	return 0;
}

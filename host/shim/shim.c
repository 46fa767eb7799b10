/* drover-shim: the per-task supervisor (see DESIGN.md "Tasks outlive the host"
 * and the protocol in host/proc.h).
 *
 * It runs detached from the host, forks the task as the leader of its own
 * process group, copies the task's stdout/stderr into rotated log files, reaps
 * the task and every orphan of it (it is a child subreaper), and records the
 * exit status atomically in the state directory. It sleeps in poll() on the
 * pipes and a signalfd for SIGCHLD: no timeouts, no polling. libc only.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim_clone.h"
#include "shim_exec.h"
#include "shim_log.h"

#define REPORT_FD 3
#define EXIT_STATUS_FILE "exit-status"
#define PIDS_FILE "pids"

/* The one large buffer: every read of the task's output goes through it. */
static char io_buf[64 * 1024];

static int report_fd = -1;

typedef struct shim_opts {
	const char *state_dir;
	const char *log_dir;
	const char *log_name;
	const char *stdout_fifo;  /* output to these FIFOs instead of log files (Nomad's logmon) */
	const char *stderr_fifo;
	const char *work_dir;
	unsigned max_files;
	unsigned long long max_size;
	int uid;
	int gid;
	const char *cgroups;      /* "dir:dir:...", joined by the task before exec */
	int oom_score_adj;        /* written before exec unless 0 */
	int start_gate;           /* fd to read one byte from before starting the task, or -1 */
	char **argv;
} shim_opts;

/* What the task child hands back when it cannot exec. */
enum task_stage { STAGE_STDIO = 1, STAGE_CREDENTIALS, STAGE_CHDIR, STAGE_EXEC, STAGE_CGROUP,
                  STAGE_OOM_SCORE };
struct task_failure {
	int stage;
	int err;
};

/* The report line is one line: a message never carries a newline. */
static void report_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report_line(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t i, len;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	len = strlen(line);
	for (i = 0; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	if (report_fd >= 0) {
		if (write(report_fd, line, len) < 0) {
			/* The host gave up waiting; it will find out from the status. */
		}
		close(report_fd);
		report_fd = -1;
	} else {
		if (write(2, line, len) < 0) {
			/* Nowhere left to say it. */
		}
	}
}

static void __attribute__((noreturn, format(printf, 2, 3))) fail(int err, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_line("error %d %s", err, msg);
	exit(127);
}

static void __attribute__((noreturn)) usage(const char *what)
{
	fail(EINVAL,
	     "drover-shim: %s; usage: drover-shim --state-dir DIR --log-dir DIR --log-name NAME "
	     "--log-max-files N --log-max-size BYTES [--work-dir DIR] [--uid N --gid N] "
	     "[--cgroup DIR[:DIR...]] [--oom-score-adj N] [--start-gate FD] "
	     "[--stdout-fifo PATH --stderr-fifo PATH] -- ARGV...",
	     what);
}

static unsigned long long parse_number(const char *opt, const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		fail(EINVAL, "drover-shim: %s \"%s\" is not a number", opt, s);
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		fail(EINVAL, "drover-shim: %s \"%s\" is not a number up to %llu", opt, s, max);
	return v;
}

static int valid_cgroup_list(const char *list);

static void parse_args(int argc, char **argv, shim_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->uid = -1;
	o->gid = -1;
	o->start_gate = -1;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char *val;

		if (strcmp(opt, "--") == 0) {
			o->argv = &argv[i + 1];
			break;
		}
		if (i + 1 >= argc)
			usage("an option is missing its value");
		val = argv[++i];
		if (strcmp(opt, "--state-dir") == 0)
			o->state_dir = val;
		else if (strcmp(opt, "--log-dir") == 0)
			o->log_dir = val;
		else if (strcmp(opt, "--log-name") == 0)
			o->log_name = val;
		else if (strcmp(opt, "--stdout-fifo") == 0)
			o->stdout_fifo = val;
		else if (strcmp(opt, "--stderr-fifo") == 0)
			o->stderr_fifo = val;
		else if (strcmp(opt, "--work-dir") == 0)
			o->work_dir = val;
		else if (strcmp(opt, "--log-max-files") == 0)
			o->max_files = (unsigned)parse_number(opt, val, 100000);
		else if (strcmp(opt, "--log-max-size") == 0)
			o->max_size = parse_number(opt, val, 1ULL << 50);
		else if (strcmp(opt, "--uid") == 0)
			o->uid = (int)parse_number(opt, val, INT_MAX);
		else if (strcmp(opt, "--gid") == 0)
			o->gid = (int)parse_number(opt, val, INT_MAX);
		else if (strcmp(opt, "--cgroup") == 0)
			o->cgroups = val;
		else if (strcmp(opt, "--oom-score-adj") == 0)
			o->oom_score_adj = (int)parse_number(opt, val, 1000);
		else if (strcmp(opt, "--start-gate") == 0)
			o->start_gate = (int)parse_number(opt, val, INT_MAX);
		else
			fail(EINVAL, "drover-shim: unknown option \"%s\"", opt);
	}
	if (!o->argv || !o->argv[0] || !o->argv[0][0])
		usage("no task command after \"--\"");
	if (!o->state_dir || o->state_dir[0] != '/')
		usage("--state-dir must be an absolute path");
	if (!o->log_dir || o->log_dir[0] != '/')
		usage("--log-dir must be an absolute path");
	if (!o->log_name || !o->log_name[0] || strchr(o->log_name, '/'))
		usage("--log-name must be a non-empty file name without \"/\"");
	if (o->max_files < 1)
		usage("--log-max-files must be at least 1");
	if (o->max_size < 1)
		usage("--log-max-size must be at least 1");
	if (!o->stdout_fifo != !o->stderr_fifo)
		usage("--stdout-fifo and --stderr-fifo go together");
	if (o->stdout_fifo && (o->stdout_fifo[0] != '/' || o->stderr_fifo[0] != '/'))
		usage("--stdout-fifo and --stderr-fifo must be absolute paths");
	if (o->cgroups && !valid_cgroup_list(o->cgroups))
		usage("--cgroup must be absolute directories separated by \":\"");
}

static int valid_cgroup_list(const char *list)
{
	const char *p;

	if (list[0] != '/')
		return 0;
	for (p = list; (p = strchr(p, ':')) != NULL; p++)
		if (p[1] != '/')
			return 0;
	return 1;
}

/* Each directory of a --cgroup list in turn: the number of directories, with
 * `fn` called on each (a copy, NUL-ended). */
static int for_each_cgroup(const char *list, void (*fn)(const char *dir, void *arg), void *arg)
{
	char dir[PATH_MAX];
	const char *p = list;
	int n = 0;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0 && len < sizeof(dir)) {
			memcpy(dir, p, len);
			dir[len] = '\0';
			fn(dir, arg);
			n++;
		}
		p = end ? end + 1 : NULL;
	}
	return n;
}

/* /proc/<pid>/stat field 22, 0 when unreadable. */
static unsigned long long start_time_of(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long v = 0;
	const char *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

/* Async-signal-safe (the task child of a shim that never starts threads is
 * safe anyway): writes `value` in decimal to `path`. */
static int write_number(const char *path, long value)
{
	char num[24];
	int n = 0, neg = value < 0, fd, i;
	unsigned long v = neg ? (unsigned long)-value : (unsigned long)value;
	char tmp[24];

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	i = 0;
	if (neg)
		num[i++] = '-';
	while (n > 0)
		num[i++] = tmp[--n];
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, num, (size_t)i) != (ssize_t)i) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* Writes our pid into <dir>/cgroup.procs for every dir of the list; errno of
 * the first failure. */
static int join_cgroups(const char *list)
{
	char path[PATH_MAX + 16];
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len + sizeof("/cgroup.procs") > sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(path, p, len);
		memcpy(path + len, "/cgroup.procs", sizeof("/cgroup.procs"));
		if (write_number(path, (long)getpid()) < 0)
			return -1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* The task child is created with clone(CLONE_VM | CLONE_VFORK), as
 * posix_spawn does: no copy of our page tables, clone returns once the task
 * exec'd or died, and a failure before the exec is handed back in `failure`
 * (our memory, which the child shares) instead of through a pipe. We have no
 * signal handlers that could run in the child, and we are suspended while it
 * runs, so sharing errno and the heap is safe. */
typedef struct task_start {
	const shim_opts *o;
	int devnull, out_w, err_w;
	int in_cgroup; /* created in its cgroup (clone3): nothing to join */
	struct task_failure failure;
} task_start;

#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
/* The child's frame is never popped: sanitizer bookkeeping of it would be left
 * behind in our memory. */
#define TASK_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
#endif
#endif
#ifndef TASK_NO_SANITIZE
#define TASK_NO_SANITIZE
#endif

/* Raw exit: nothing of ours (stdio, sanitizer exit hooks) runs in the child
 * that shares our memory. */
static void __attribute__((noreturn)) task_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

static int TASK_NO_SANITIZE run_task(void *arg)
{
	task_start *ts = arg;
	const shim_opts *o = ts->o;
	struct task_failure f = { 0, 0 };
	const char *dir = o->work_dir ? o->work_dir : o->state_dir;
	static const unsigned long dfl_action[8]; /* larger than any kernel sigaction */
	sigset_t none;
	int sig;

	setpgid(0, 0);
	/* Every disposition to SIG_DFL, through the system call: glibc's
	 * sigaction refuses signals 32 and 33 (its own), so an ignored one
	 * inherited from whoever started the host would reach the task. An
	 * all-zero kernel sigaction is SIG_DFL, no flags, empty mask, whatever
	 * the architecture's field order. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, dfl_action, NULL, (size_t)(_NSIG / 8));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (dup2(ts->devnull, 0) < 0 || dup2(ts->out_w, 1) < 0 || dup2(ts->err_w, 2) < 0 ||
	    syscall(SYS_close_range, 3, ~0U, 0) < 0) {
		f.stage = STAGE_STDIO;
		goto failed;
	}
	/* Before the first instruction of the task, and while we still have the
	 * privileges to (a lower-privileged user cannot move itself). */
	if (o->oom_score_adj != 0 && write_number("/proc/self/oom_score_adj", o->oom_score_adj) < 0) {
		f.stage = STAGE_OOM_SCORE;
		goto failed;
	}
	if (o->cgroups && !ts->in_cgroup && join_cgroups(o->cgroups) < 0) {
		f.stage = STAGE_CGROUP;
		goto failed;
	}
	if (o->gid >= 0) {
		gid_t g = (gid_t)o->gid;
		if (setgroups(1, &g) < 0 || setgid(g) < 0) {
			f.stage = STAGE_CREDENTIALS;
			goto failed;
		}
	}
	if (o->uid >= 0 && setuid((uid_t)o->uid) < 0) {
		f.stage = STAGE_CREDENTIALS;
		goto failed;
	}
	if (chdir(dir) < 0) {
		f.stage = STAGE_CHDIR;
		goto failed;
	}
	shim_execvpe(o->argv[0], o->argv, environ);
	f.stage = STAGE_EXEC;
failed:
	f.err = errno ? errno : EIO;
	ts->failure = f;
	task_exit(127);
}

/* The child's stack: room for shim_execvpe, which builds each candidate path
 * and, to run a script through /bin/sh, a copy of argv on the stack, with a
 * guard page below it. */
static char *task_stack_alloc(const shim_opts *o, size_t *len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), argc = 0, size;
	char *p;

	while (o->argv[argc])
		argc++;
	size = 64 * 1024 + PATH_MAX + (argc + 2) * sizeof(char *);
	size = (size + page - 1) / page * page + page;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, page, PROT_NONE) < 0) {
		munmap(p, size);
		return NULL;
	}
	*len = size;
	return p;
}

static void __attribute__((noreturn)) report_task_failure(const shim_opts *o, const struct task_failure *f)
{
	switch (f->stage) {
	case STAGE_EXEC:
		fail(f->err, "cannot run \"%s\": %s", o->argv[0], strerror(f->err));
	case STAGE_CHDIR:
		fail(f->err, "cannot change to the work directory \"%s\": %s",
		     o->work_dir ? o->work_dir : o->state_dir, strerror(f->err));
	case STAGE_CREDENTIALS:
		fail(f->err, "cannot switch to uid %d, gid %d to run \"%s\": %s", o->uid, o->gid,
		     o->argv[0], strerror(f->err));
	case STAGE_CGROUP:
		fail(f->err, "cannot place \"%s\" in its cgroups \"%s\": %s", o->argv[0], o->cgroups,
		     strerror(f->err));
	case STAGE_OOM_SCORE:
		fail(f->err, "cannot set the oom_score_adj of \"%s\" to %d: %s", o->argv[0],
		     o->oom_score_adj, strerror(f->err));
	default:
		fail(f->err, "cannot set up the standard streams of \"%s\": %s", o->argv[0],
		     strerror(f->err));
	}
}

/* One read of a stream into its log: 1 while open, 0 at end of file. */
static int pump_once(int fd, shim_log *log)
{
	for (;;) {
		ssize_t n = read(fd, io_buf, sizeof(io_buf));
		if (n > 0) {
			shim_log_write(log, io_buf, (size_t)n);
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 1 : 0;
	}
}

/* Everything the pipe holds right now; closes it at end of file. */
static void drain(int *fd, shim_log *log)
{
	while (*fd >= 0) {
		ssize_t n = read(*fd, io_buf, sizeof(io_buf));
		if (n > 0) {
			shim_log_write(log, io_buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(*fd);
		*fd = -1;
	}
}

static int is_cgroupfs(const char *dir)
{
	struct statfs sf;
	return statfs(dir, &sf) == 0 && ((unsigned long)sf.f_type == 0x27e0ebUL /* v1 */ ||
	                                 (unsigned long)sf.f_type == 0x63677270UL /* v2 */);
}

/* The one cgroup v2 directory of a --cgroup list, open to be the task's
 * cgroup from its creation (clone3 CLONE_INTO_CGROUP); -1 for a v1 list
 * (several hierarchies, or not cgroup2), which is joined through cgroup.procs. */
static int open_v2_cgroup(const char *list)
{
	struct statfs sf;
	int fd;

	if (!list || strchr(list, ':'))
		return -1;
	fd = open(list, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstatfs(fd, &sf) < 0 || (unsigned long)sf.f_type != 0x63677270UL) {
		close(fd);
		return -1;
	}
	return fd;
}

/* "key N" of a flat keyed cgroup file, 0 when absent; *opened says whether
 * the file was there. */
static unsigned long long read_keyed(const char *dir, const char *file, const char *key,
                                     int *opened)
{
	char path[PATH_MAX + 32], name[64];
	unsigned long long v, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	*opened = f != NULL;
	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", name, &v) == 2)
		if (strcmp(name, key) == 0)
			found = v;
	fclose(f);
	return found;
}

struct oom_count {
	unsigned long long sum;
	int v1;     /* several hierarchies: only v1 has them, and no memory.events */
	int memory; /* v1: the one memory hierarchy's directory was read */
};

/* The kernel's count of OOM kills in a memory cgroup: memory.events (v2) or
 * memory.oom_control (v1, kernel 4.13 and later). A v1 list holds one
 * directory of the memory controller: the others are not tried after it. */
static void add_oom_kills(const char *dir, void *arg)
{
	struct oom_count *c = arg;
	int opened;

	if (c->memory)
		return;
	if (!c->v1)
		c->sum += read_keyed(dir, "memory.events", "oom_kill", &opened);
	c->sum += read_keyed(dir, "memory.oom_control", "oom_kill", &opened);
	c->memory = c->v1 && opened;
}

static unsigned long long oom_kills(const char *list)
{
	struct oom_count c = { 0, list && strchr(list, ':') != NULL, 0 };
	for_each_cgroup(list, add_oom_kills, &c);
	return c.sum;
}

/* Processes that left the task's process group and were never our children
 * (or a task of an earlier run) are still in its cgroups. A directory that is
 * not cgroupfs holds no membership: its pids are not to be trusted. */
static void kill_cgroup_members(const char *dir, void *arg)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int pid;

	(void)arg;
	if (!is_cgroupfs(dir))
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0 && pid != (int)getpid())
			kill(pid, SIGKILL);
	fclose(f);
}

static void kill_children(void)
{
	char path[64];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0)
			kill(pid, SIGKILL);
	fclose(f);
}

/* Kills the task's process group and every other child (orphans reparented to
 * us, daemons that left the group) and reaps them all. A killed process's
 * children are reparented to us before it can be reaped, so listing again
 * after each reap finds them. */
static void kill_everything(pid_t task_pid, const char *cgroups)
{
	for (;;) {
		kill(-task_pid, SIGKILL);
		kill_children();
		for_each_cgroup(cgroups, kill_cgroup_members, NULL);
		if (waitpid(-1, NULL, 0) < 0 && errno != EINTR)
			break; /* ECHILD: nothing left */
	}
	/* Members that were never our children are not reaped by us. */
	for_each_cgroup(cgroups, kill_cgroup_members, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The state directory, opened once: every file of ours in it is created and
 * renamed relative to this descriptor. */
static int state_dir_fd = -1;

/* Writes <state dir>/<name> atomically: a reader sees the old file or the
 * whole new one. The temporary name is created with O_EXCL|O_NOFOLLOW, so
 * that nothing planted under it (a symbolic link, a FIFO) is ever opened; one
 * left by a dead shim of the same pid is removed first (unlinkat removes a
 * link, never its target). With `durable`, the content and the rename
 * survive a machine crash. */
static int write_atomic(const char *name, const char *text, int durable)
{
	char tmp[NAME_MAX + 1];
	size_t len = strlen(text);
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	fd = openat(state_dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(state_dir_fd, tmp, 0) == 0)
		fd = openat(state_dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            0600);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, text, len) != (ssize_t)len || (durable && fsync(fd) < 0))
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(state_dir_fd, tmp, state_dir_fd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(state_dir_fd, tmp, 0);
		return r;
	}
	if (durable)
		fsync(state_dir_fd);
	return 0;
}

static int write_exit_status(int status, int oom_killed, long long exited_at_ms)
{
	char text[256];
	int code = 0, sig = 0;

	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		code = 128 + sig; /* as Nomad reports a signalled task */
	} else {
		code = WEXITSTATUS(status);
	}
	snprintf(text, sizeof(text), "exit_code=%d\nsignal=%d\noom_killed=%d\nexited_at_ms=%lld\n",
	         code, sig, oom_killed, exited_at_ms);
	return write_atomic(EXIT_STATUS_FILE, text, 1);
}

static void ensure_std_fds(void)
{
	int fd;

	/* Started by hand with a closed stdin/stdout/stderr, pipes would land on
	 * 0..2 and be mixed up with them. */
	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
}

static void wait_start_gate(int fd, const char *task)
{
	char go;
	ssize_t n;

	fcntl(fd, F_SETFD, FD_CLOEXEC);
	do
		n = read(fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		fail(ECANCELED, "drover-shim: the host went away before recording this shim; the "
		     "task \"%s\" was not started", task);
	close(fd);
}

int main(int argc, char **argv)
{
	task_start ts;
	struct pollfd pfd[3];
	shim_opts o;
	shim_log out_log, err_log;
	sigset_t chld;
	char msg[512], path[PATH_MAX];
	int out_p[2], err_p[2], devnull, sfd, status = 0, done = 0, r;
	unsigned long long oom_before = 0, task_start_time, shim_start_time;
	long long exited_at = 0;
	size_t stack_len = 0;
	char *stack;
	pid_t pid;
	int cg_fd;

	if (fcntl(REPORT_FD, F_GETFD) >= 0) {
		report_fd = REPORT_FD;
		fcntl(report_fd, F_SETFD, FD_CLOEXEC);
	}
	signal(SIGPIPE, SIG_IGN);
	ensure_std_fds();
	parse_args(argc, argv, &o);

	/* The task's fate is decided by signals to its process group, not to us. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	setsid(); /* fails harmlessly when the host already made us a session leader */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		fail(errno, "drover-shim: cannot become a child subreaper: %s", strerror(errno));

	/* The host starts us with every signal blocked (see proc.h): from here
	 * on only SIGCHLD is, for the signalfd. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_SETMASK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fail(errno, "drover-shim: signalfd: %s", strerror(errno));

	/* The host made it (root-owned, 0700); O_NOFOLLOW refuses a last
	 * component that is a link. */
	state_dir_fd = open(o.state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (state_dir_fd < 0)
		fail(errno, "cannot open the state directory \"%s\": %s", o.state_dir,
		     strerror(errno));
	/* A status left by an earlier run of the task must not be mistaken for this one's. */
	snprintf(path, sizeof(path), "%s/%s", o.state_dir, EXIT_STATUS_FILE);
	if (unlinkat(state_dir_fd, EXIT_STATUS_FILE, 0) < 0 && errno != ENOENT)
		fail(errno, "cannot remove the old exit status \"%s\": %s", path, strerror(errno));

	if (o.stdout_fifo) {
		r = shim_log_open_fifo(&out_log, o.stdout_fifo, msg, sizeof(msg));
		if (r < 0)
			fail(-r, "%s", msg);
		r = shim_log_open_fifo(&err_log, o.stderr_fifo, msg, sizeof(msg));
		if (r < 0)
			fail(-r, "%s", msg);
	} else {
		r = shim_log_open(&out_log, o.log_dir, o.log_name, "stdout", o.max_files,
		                  o.max_size, msg, sizeof(msg));
		if (r < 0)
			fail(-r, "%s", msg);
		r = shim_log_open(&err_log, o.log_dir, o.log_name, "stderr", o.max_files,
		                  o.max_size, msg, sizeof(msg));
		if (r < 0)
			fail(-r, "%s", msg);
	}

	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		fail(errno, "cannot open /dev/null: %s", strerror(errno));
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0)
		fail(errno, "cannot create the task's pipes: %s", strerror(errno));

	/* Everything that does not start the task is done before the gate, while
	 * the host records our pid: the start itself then costs the clone, the
	 * exec and the pids file. */
	/* A reused cgroup may have counted OOM kills of an earlier run. */
	oom_before = oom_kills(o.cgroups);
	stack = task_stack_alloc(&o, &stack_len);
	if (!stack)
		fail(errno, "cannot allocate a stack to start the task \"%s\": %s", o.argv[0],
		     strerror(errno));
	shim_start_time = start_time_of(getpid());
	cg_fd = open_v2_cgroup(o.cgroups);
	/* The host lets us through only once it has recorded our pid: a host
	 * that died before closed the gate's write end, and its successor, which
	 * does not know of us, may already have recorded the start as failed. */
	if (o.start_gate >= 0)
		wait_start_gate(o.start_gate, o.argv[0]);
	memset(&ts, 0, sizeof(ts));
	ts.o = &o;
	ts.devnull = devnull;
	ts.out_w = out_p[1];
	ts.err_w = err_p[1];
	/* On cgroup v2 the task is created in its cgroup; where clone3 is
	 * missing (ENOSYS), or on v1, it joins it before exec instead. */
	pid = -1;
	if (cg_fd >= 0) {
		ts.in_cgroup = 1;
		pid = shim_clone_into_cgroup(run_task, &ts, stack, stack_len, cg_fd);
		if (pid < 0 && errno != ENOSYS)
			fail(errno, "cannot start \"%s\" in its cgroup \"%s\": %s", o.argv[0],
			     o.cgroups, strerror(errno));
		close(cg_fd);
		ts.in_cgroup = pid >= 0;
	}
	/* Stacks grow down on every architecture drover builds for. */
	if (pid < 0)
		pid = clone(run_task, stack + stack_len, CLONE_VM | CLONE_VFORK | SIGCHLD, &ts);
	if (pid < 0)
		fail(errno, "cannot start the task \"%s\": %s", o.argv[0], strerror(errno));

	close(out_p[1]);
	close(err_p[1]);
	if (ts.failure.stage != 0) {
		waitpid(pid, NULL, 0);
		report_task_failure(&o, &ts.failure);
	}

	/* The task is not reaped before this line, so its /proc entry is there.
	 * The pids file lets a host whose handle for the task is lost still find
	 * (and kill) what is left of it. */
	task_start_time = start_time_of(pid);
	snprintf(msg, sizeof(msg), "%d %llu %d %llu\n", (int)pid, task_start_time, (int)getpid(),
	         shim_start_time);
	r = write_atomic(PIDS_FILE, msg, 0);
	if (r < 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail(-r, "cannot write \"%s/%s\": %s", o.state_dir, PIDS_FILE, strerror(-r));
	}
	report_line("ok %d %llu %d %llu", (int)pid, task_start_time, (int)getpid(),
	            shim_start_time);
	/* Not needed once the task runs; freed after the report, which the host
	 * waits for. */
	munmap(stack, stack_len);
	close(devnull);

	fcntl(out_p[0], F_SETFL, O_NONBLOCK);
	fcntl(err_p[0], F_SETFL, O_NONBLOCK);
	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = out_p[0], .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = err_p[0], .events = POLLIN };
	while (!done) {
		struct signalfd_siginfo si;
		pid_t p;
		int st;

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(errno, "drover-shim: poll: %s", strerror(errno));
		}
		if (pfd[1].revents && !pump_once(pfd[1].fd, &out_log)) {
			close(pfd[1].fd);
			pfd[1].fd = -1;
		}
		if (pfd[2].revents && !pump_once(pfd[2].fd, &err_log)) {
			close(pfd[2].fd);
			pfd[2].fd = -1;
		}
		if (!pfd[0].revents)
			continue;
		while (read(sfd, &si, sizeof(si)) > 0)
			;
		/* Signals coalesce: reap everything that is there, the task or orphans. */
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p == pid) {
				status = st;
				exited_at = now_ms();
				done = 1;
			}
		}
	}

	drain(&pfd[1].fd, &out_log);
	drain(&pfd[2].fd, &err_log);
	kill_everything(pid, o.cgroups);
	/* What the killed processes wrote last; every writer is gone now. */
	drain(&pfd[1].fd, &out_log);
	drain(&pfd[2].fd, &err_log);
	shim_log_close(&out_log);
	shim_log_close(&err_log);

	r = write_exit_status(status, oom_kills(o.cgroups) > oom_before, exited_at);
	if (r < 0) {
		dprintf(2, "drover-shim: cannot record the exit status in \"%s\": %s\n", path,
		        strerror(-r));
		return 1;
	}
	return 0;
}

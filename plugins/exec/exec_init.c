/* drover-exec-init: see exec_init.h. This file: arguments, the process
 * structure, signal forwarding and the exit status. */
#include "exec_init.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t forward_to; /* the pid signals are passed on to */

void exec_init_die(int e, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(2, "drover-exec-init: %s: %s\n", msg, strerror(e));
	_exit(127);
}

static void usage_die(const char *what)
{
	dprintf(2, "drover-exec-init: %s (it is run by the exec driver, not by hand)\n", what);
	_exit(127);
}

static long parse_num(const char *s, const char *opt, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s: \"%.60s\" is not a number in 0..%ld", opt, s, max);
		usage_die(msg);
	}
	return v;
}

/* "a,b,c" of numbers into out[]; returns the count. */
static size_t parse_list(const char *s, const char *opt, long max, long *out, size_t cap)
{
	char buf[1024], *tok, *save = NULL;
	size_t n = 0;

	if (strlen(s) >= sizeof(buf))
		usage_die("a list option is too long");
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == cap)
			usage_die("too many list items");
		out[n++] = parse_num(tok, opt, max);
	}
	return n;
}

static void parse(int argc, char **argv, exec_init_opts *o)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "alloc", required_argument, NULL, 'a' },
		{ "bind", required_argument, NULL, 'b' },
		{ "volume-ro", required_argument, NULL, 'V' },
		{ "volume-rw", required_argument, NULL, 'W' },
		{ "pid-ns", no_argument, NULL, 'P' },
		{ "ipc-ns", no_argument, NULL, 'I' },
		{ "no-pivot-root", no_argument, NULL, 'N' },
		{ "netns", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, 'p' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "groups", required_argument, NULL, 'G' },
		{ "caps", required_argument, NULL, 'c' },
		{ "work-dir", required_argument, NULL, 'w' },
		{ "resolv-conf", required_argument, NULL, 'R' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "hosts", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	long nums[EXEC_INIT_MAX_CAPS > EXEC_INIT_MAX_GROUPS ? EXEC_INIT_MAX_CAPS
	                                                     : EXEC_INIT_MAX_GROUPS];
	int c, have_uid = 0, have_gid = 0;
	size_t i;
	char *eq;

	memset(o, 0, sizeof(*o));
	if (argc < 2)
		usage_die("no mode given: run or join");
	if (strcmp(argv[1], "join") == 0)
		o->join = 1;
	else if (strcmp(argv[1], "run") != 0)
		usage_die("unknown mode: give run or join");
	optind = 2;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->root = optarg; break;
		case 'a': o->alloc = optarg; break;
		case 'b':
			if (o->nbinds == EXEC_INIT_MAX_BINDS)
				usage_die("too many --bind");
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg || optarg[0] != '/' || !eq[1])
				usage_die("--bind wants SRC=DST with an absolute SRC");
			*eq = '\0';
			o->binds[o->nbinds].src = optarg;
			o->binds[o->nbinds].dst = eq + 1;
			o->nbinds++;
			break;
		case 'V':
		case 'W':
			if (o->nvolumes == EXEC_INIT_MAX_BINDS)
				usage_die("too many --volume-ro/--volume-rw");
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg || optarg[0] != '/' || !eq[1])
				usage_die("--volume-ro/--volume-rw want SRC=DST with an absolute SRC");
			*eq = '\0';
			o->volumes[o->nvolumes].src = optarg;
			o->volumes[o->nvolumes].dst = eq + 1;
			o->volumes[o->nvolumes].read_only = c == 'V';
			o->nvolumes++;
			break;
		case 'P': o->pid_ns = 1; break;
		case 'I': o->ipc_ns = 1; break;
		case 'N': o->no_pivot_root = 1; break;
		case 'n':
			if (optarg[0] != '/')
				usage_die("--netns wants an absolute path");
			o->netns = optarg;
			break;
		case 'p': o->join_pid = (pid_t)parse_num(optarg, "--pid", INT_MAX); break;
		case 'u': o->uid = (uid_t)parse_num(optarg, "--uid", INT_MAX); have_uid = 1; break;
		case 'g': o->gid = (gid_t)parse_num(optarg, "--gid", INT_MAX); have_gid = 1; break;
		case 'G':
			o->ngroups = parse_list(optarg, "--groups", INT_MAX, nums, EXEC_INIT_MAX_GROUPS);
			for (i = 0; i < o->ngroups; i++)
				o->groups[i] = (gid_t)nums[i];
			break;
		case 'c':
			o->ncaps = parse_list(optarg, "--caps", 63, nums, EXEC_INIT_MAX_CAPS);
			for (i = 0; i < o->ncaps; i++)
				o->caps[i] = (int)nums[i];
			break;
		case 'w': o->work_dir = optarg; break;
		case 'R':
			if (optarg[0] != '/')
				usage_die("--resolv-conf wants an absolute path");
			o->resolv_conf = optarg;
			break;
		case 'h':
			if (optarg[0] != '/')
				usage_die("--hosts wants an absolute path");
			o->hosts = optarg;
			break;
		case 'H':
			if (!optarg[0] || strlen(optarg) > 64)
				usage_die("--hostname wants 1 to 64 characters");
			o->hostname = optarg;
			break;
		default: usage_die("unknown option");
		}
	}
	if (!have_uid || !have_gid)
		usage_die("--uid and --gid are required");
	if (optind >= argc)
		usage_die("no command given after --");
	o->argv = argv + optind;
	if (o->join ? o->join_pid <= 0 : (!o->root || o->root[0] != '/' || !o->alloc))
		usage_die(o->join ? "join needs --pid" : "run needs absolute --root and --alloc");
}

static void forward(int sig)
{
	if (forward_to > 0)
		kill((pid_t)forward_to, sig);
}

/* Every catchable signal is passed on to `pid` (SIGCHLD is ours). */
static void forward_signals(pid_t pid)
{
	struct sigaction sa;
	int sig;

	forward_to = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD && sig != SIGCONT)
			sigaction(sig, &sa, NULL);
}

/* Ends this process as `status` says the child ended: same exit code, or
 * the same signal. */
static void __attribute__((noreturn)) exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		sigset_t set;
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core file of ours */
		kill(getpid(), sig);
		_exit(128 + sig); /* a signal pid 1 of a namespace cannot take */
	}
	_exit(WEXITSTATUS(status));
}

/* Waits for `child`, reaping whatever else is reparented to us meanwhile
 * (as pid 1 of the task's namespace), and returns its wait status. */
static int wait_for(pid_t child)
{
	int st = 0;
	pid_t p;

	for (;;) {
		p = waitpid(-1, &st, 0);
		if (p == child)
			return st;
		if (p < 0 && errno == ECHILD)
			exec_init_die(ECHILD, "lost the task's process");
	}
}

/* pid 1 of the task's PID namespace: starts the command, reaps orphans, and
 * passes the command's status up through `status_fd`. */
static void __attribute__((noreturn)) ns_init(const exec_init_opts *o, int status_fd)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		exec_init_die(errno, "cannot fork the task");
	if (pid == 0) {
		close(status_fd);
		exec_init_become_task(o);
	}
	forward_signals(pid);
	st = wait_for(pid);
	if (write(status_fd, &st, sizeof(st)) != (ssize_t)sizeof(st))
		_exit(127);
	_exit(0);
}

static void __attribute__((noreturn)) run(const exec_init_opts *o)
{
	int flags = CLONE_NEWNS | (o->pid_ns ? CLONE_NEWPID : 0) | (o->ipc_ns ? CLONE_NEWIPC : 0);
	int sp[2], st = 0, child_st;
	pid_t pid, parent = getpid();
	ssize_t n;

	exec_netns_enter(o->netns);
	if (unshare(flags) < 0)
		exec_init_die(errno, "cannot create the task's namespaces");
	if (pipe2(sp, O_CLOEXEC) < 0)
		exec_init_die(errno, "cannot create a pipe");
	exec_init_dns_uts(o);
	pid = fork();
	if (pid < 0)
		exec_init_die(errno, "cannot fork");
	if (pid == 0) {
		close(sp[0]);
		/* The task dies with the helper: a SIGKILL of the helper (the shim's
		 * last resort) takes the whole PID namespace with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* Our parent is outside a new PID namespace: getppid() says 0 then. */
		if (getppid() != (o->pid_ns ? 0 : parent))
			_exit(127); /* the helper already died */
		/* Its own process group: a signal the shim sends to the helper's group
		 * reaches the task once, forwarded, not twice. */
		setpgid(0, 0);
		exec_init_fs_build(o);
		if (o->pid_ns)
			ns_init(o, sp[1]);
		close(sp[1]);
		exec_init_become_task(o);
	}
	close(sp[1]);
	forward_signals(pid);
	child_st = wait_for(pid);
	n = read(sp[0], &st, sizeof(st));
	if (n != (ssize_t)sizeof(st))
		st = child_st; /* no PID namespace, or pid 1 died: its own status */
	exit_like(st);
}

/* Enters the namespaces and root of the task's pid 1, as its exec method. */
static void __attribute__((noreturn)) join(const exec_init_opts *o)
{
	/* net first: the task may be in its allocation's network namespace. */
	static const char *const ns[] = { "net", "ipc", "pid", "mnt" };
	char path[64];
	int fds[4], rootfd, i, st;
	pid_t pid;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)o->join_pid, ns[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			exec_init_die(errno, "cannot open %s (has the task exited?)", path);
	}
	exec_init_dns_join_uts(o->join_pid);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)o->join_pid);
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		exec_init_die(errno, "cannot open %s", path);
	for (i = 0; i < 4; i++)
		if (setns(fds[i], 0) < 0)
			exec_init_die(errno, "cannot enter the task's %s namespace", ns[i]);
	/* setns into a mount namespace resets the root to the namespace's; the
	 * task's root is where its pid 1 is (the same with pivot_root, below it
	 * with chroot). */
	if (fchdir(rootfd) < 0 || chroot(".") < 0)
		exec_init_die(errno, "cannot enter the task's root");
	pid = fork(); /* only children enter the PID namespace */
	if (pid < 0)
		exec_init_die(errno, "cannot fork");
	if (pid == 0)
		exec_init_become_task(o);
	forward_signals(pid);
	st = wait_for(pid);
	exit_like(st);
}

int main(int argc, char **argv)
{
	exec_init_opts o;

	parse(argc, argv, &o);
	if (o.join)
		join(&o);
	run(&o);
}

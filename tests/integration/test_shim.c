/* drover-shim and the proc_* host services (host/proc.c), with real processes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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

#include "proc.h"
#include "test_support.h"

typedef struct fixture {
	char root[256]; /* short, so that paths built from it always fit PATH_MAX */
	char state[300];
	char logs[300];
} fixture;

static fixture fx;
static const char *const test_env[] = { "PATH=/usr/bin:/bin", "DROVER_TEST_VAR=from-env", NULL };

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(fx.root, sizeof(fx.root), "/tmp/drover-test-shim.XXXXXX");
	cr_assert_not_null(mkdtemp(fx.root), "mkdtemp: %s", strerror(errno));
	snprintf(fx.state, sizeof(fx.state), "%s/state", fx.root);
	snprintf(fx.logs, sizeof(fx.logs), "%s/logs", fx.root);
	cr_assert_eq(mkdir(fx.state, 0755), 0);
	cr_assert_eq(mkdir(fx.logs, 0755), 0);
	drover_proc_set_shim_path(DROVER_TEST_SHIM);
	unsetenv("DROVER_SHIM");
}

static void teardown(void)
{
	nftw(fx.root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(shim, .init = setup, .fini = teardown, .timeout = 60);

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static drover_spawn_request request(const char *const *argv)
{
	drover_spawn_request req;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.env = test_env;
	req.state_dir = fx.state;
	req.log_dir = fx.logs;
	req.log_name = "t";
	req.log_max_files = 3;
	req.log_max_file_size = 1024 * 1024;
	req.uid = -1;
	req.gid = -1;
	return req;
}

static void spawn_ok(const char *const *argv, drover_proc *p)
{
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	int r = drover_proc_spawn(NULL, &req, p, &err);
	cr_assert_eq(r, 0, "spawn of \"%s\" failed: %d %s", argv[0], r, err.message);
	cr_assert_gt(p->pid, 0);
	cr_assert_gt(p->shim_pid, 0);
	cr_assert_neq(p->pid_start_time, 0ULL);
}

/* Waits (up to timeout_ms) for the exit to be recorded and returns it. */
static drover_exit_result wait_exit(const drover_proc *p, long long timeout_ms)
{
	drover_exit_result res;
	drover_err err = { "" };
	int fd = drover_proc_wait_fd(NULL, p, &err), r;

	if (fd >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		r = poll(&pfd, 1, (int)timeout_ms);
		close(fd);
		cr_assert_eq(r, 1, "task pid %d did not exit within %lld ms", p->pid, timeout_ms);
	} else {
		cr_assert_eq(fd, -ESRCH, "wait_fd: %s", err.message);
	}
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	r = drover_proc_status(NULL, p, &res, &err);
	cr_assert_eq(r, 0, "status after the exit: %d %s", r, err.message);
	return res;
}

static char *read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 65536 + 1 > cap) {
			cap = (len + 65536 + 1) * 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

static char *log_file(const char *stream, int index)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/t.%s.%d", fx.logs, stream, index);
	return read_file(path, NULL);
}

/* Polls for a condition on real files with a deadline: the event we wait for
 * (a shell writing a pid file) has no descriptor to wait on. */
static char *wait_for_file_content(const char *path, long long timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	for (;;) {
		char *s = read_file(path, NULL);
		if (s && strchr(s, '\n'))
			return s;
		free(s);
		cr_assert_lt(mono_ms(), deadline, "\"%s\" was not written within %lld ms", path,
		             timeout_ms);
		nap_ms(10);
	}
}

/* /proc/<pid>/stat field `n` (1-based, n >= 3), -1 when unreadable. */
static long long stat_field(int pid, int n)
{
	char path[64], buf[1024];
	const char *p;
	int i;
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2;
	for (i = 3; i < n; i++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	return strtoll(p, NULL, 10);
}

static int process_alive(int pid, unsigned long long start_time)
{
	return drover_proc_start_time(pid) == start_time && start_time != 0;
}

Test(shim, exit_code_is_propagated)
{
	const char *argv[] = { "sh", "-c", "exit 7", NULL };
	drover_proc p;
	drover_exit_result res;

	spawn_ok(argv, &p);
	res = wait_exit(&p, 10000);
	cr_assert_eq(res.exit_code, 7);
	cr_assert_eq(res.signal, 0);
	cr_assert_str_empty(res.error);
	cr_assert_geq(res.exited_at_ms, p.started_at_ms - 1000);
	cr_assert_str_eq(p.state_dir, fx.state);
}

Test(shim, terminating_signal_is_reported)
{
	const char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
	drover_proc p;
	drover_exit_result res;

	spawn_ok(argv, &p);
	res = wait_exit(&p, 10000);
	cr_assert_eq(res.signal, SIGTERM);
	cr_assert_eq(res.exit_code, 128 + SIGTERM);
}

Test(shim, shim_is_detached_and_task_leads_its_group)
{
	const char *argv[] = { "sleep", "1000", NULL };
	drover_exit_result res;
	drover_err err = { "" };
	drover_proc p;

	spawn_ok(argv, &p);
	cr_assert_neq(stat_field(p.shim_pid, 4), (long long)getpid(), "the shim is our child");
	cr_assert_eq(stat_field(p.shim_pid, 6), (long long)p.shim_pid, "the shim has no own session");
	cr_assert_eq(stat_field(p.pid, 4), (long long)p.shim_pid, "the task is not the shim's child");
	cr_assert_eq(stat_field(p.pid, 5), (long long)p.pid, "the task does not lead its group");
	/* The helper that detached the shim is reaped: nothing is left for us to wait for. */
	cr_assert_eq(waitpid(-1, NULL, WNOHANG | __WALL), -1, "a child of the host is left");
	cr_assert_eq(errno, ECHILD);
	cr_assert_eq(drover_proc_status(NULL, &p, &res, &err), -EAGAIN, "status of a running task");

	cr_assert_eq(drover_proc_stop(NULL, &p, SIGTERM, 10000, &err), 0, "%s", err.message);
	res = wait_exit(&p, 1000);
	cr_assert_eq(res.signal, SIGTERM);
	cr_assert_eq(drover_proc_wait_fd(NULL, &p, &err), -ESRCH);
	cr_assert_eq(drover_proc_signal(NULL, &p, SIGTERM, 0, &err), -ESRCH);
}

Test(shim, output_lands_in_nomad_named_files)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; echo $DROVER_TEST_VAR; pwd", NULL };
	drover_proc p;
	char expect[PATH_MAX + 64];
	char *out, *errs;

	spawn_ok(argv, &p);
	wait_exit(&p, 10000);
	out = log_file("stdout", 0);
	errs = log_file("stderr", 0);
	cr_assert_not_null(out);
	cr_assert_not_null(errs);
	/* The environment is the task's, the work dir defaults to the state dir. */
	snprintf(expect, sizeof(expect), "out\nfrom-env\n%s\n", fx.state);
	cr_assert_str_eq(out, expect);
	cr_assert_str_eq(errs, "err\n");
	free(out);
	free(errs);
}

Test(shim, stdin_is_dev_null_and_no_other_fd_reaches_the_task)
{
	const char *argv[] = { "sh", "-c", "ls /proc/$$/fd; readlink /proc/$$/fd/0", NULL };
	drover_proc p;
	char *out;
	int leak = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */

	cr_assert_geq(leak, 0);
	spawn_ok(argv, &p);
	wait_exit(&p, 10000);
	close(leak);
	out = log_file("stdout", 0);
	cr_assert_not_null(out);
	cr_assert_str_eq(out, "0\n1\n2\n/dev/null\n");
	free(out);
}

/* The numbered lines of the surviving files, in order, must be consecutive,
 * whole and end with the last one written. */
static void check_rotation(const char *stream, unsigned max_files, unsigned long long max_size,
                           long last)
{
	DIR *d = opendir(fx.logs);
	struct dirent *de;
	char prefix[64];
	long lo = LONG_MAX, hi = -1, expect = -1, idx;
	int count = 0;

	snprintf(prefix, sizeof(prefix), "t.%s.", stream);
	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		idx = strtol(de->d_name + strlen(prefix), NULL, 10);
		count++;
		if (idx < lo)
			lo = idx;
		if (idx > hi)
			hi = idx;
	}
	closedir(d);
	cr_assert_leq(count, (int)max_files, "%d %s files, at most %u allowed", count, stream,
	              max_files);
	cr_assert_eq(hi - lo + 1, count, "the kept files are not consecutive");
	cr_assert_geq(hi, (long)max_files, "no rotation happened");
	for (idx = lo; idx <= hi; idx++) {
		size_t len;
		char path[PATH_MAX];
		char *s, *line, *save = NULL;

		snprintf(path, sizeof(path), "%s/t.%s.%ld", fx.logs, stream, idx);
		s = read_file(path, &len);
		cr_assert_not_null(s);
		cr_assert_leq(len, max_size, "%s has %zu bytes, more than %llu", path, len, max_size);
		cr_assert_gt(len, 0);
		cr_assert_eq(s[len - 1], '\n', "%s ends in the middle of a line", path);
		for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			long v = strtol(line, NULL, 10);
			if (expect < 0)
				expect = v;
			cr_assert_eq(v, expect, "%s: line \"%s\" where %ld was expected (a split line?)",
			             path, line, expect);
			expect++;
		}
		free(s);
	}
	cr_assert_eq(expect - 1, last, "the newest line is missing");
}

Test(shim, logs_rotate_by_size_without_splitting_lines)
{
	/* ~3 MiB through stdio's 4 KiB blocks: reads end in the middle of lines. */
	const char *argv[] = { "sh", "-c", "seq 1 450000; seq 1 200000 >&2", NULL };
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	drover_proc p;

	req.log_max_files = 3;
	req.log_max_file_size = 64 * 1024;
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), 0, "%s", err.message);
	wait_exit(&p, 30000);
	check_rotation("stdout", 3, 64 * 1024, 450000);
	check_rotation("stderr", 3, 64 * 1024, 200000);
}

Test(shim, a_line_started_near_the_end_of_a_file_moves_whole_to_the_next)
{
	/* The task writes a line and the start of a second one, waits until the
	 * shim has logged that, then finishes the second line, which no longer fits
	 * in the 100-byte file: the shim must move its start to the next file. */
	char script[1024];
	const char *argv[] = { "sh", "-c", script, NULL };
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	drover_proc p;
	char *f0, *f1;

	snprintf(script, sizeof(script),
	         "printf '%%029d\\n%%040d' 1 2; "
	         "while [ \"$(stat -c %%s %s/t.stdout.0)\" -lt 70 ]; do sleep 0.01; done; "
	         "printf '%%040d\\n' 3",
	         fx.logs);
	req.log_max_files = 5;
	req.log_max_file_size = 100;
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), 0, "%s", err.message);
	wait_exit(&p, 10000);
	f0 = log_file("stdout", 0);
	f1 = log_file("stdout", 1);
	cr_assert_not_null(f0);
	cr_assert_not_null(f1);
	cr_assert_str_eq(f0, "00000000000000000000000000001\n");
	cr_assert_str_eq(f1, "0000000000000000000000000000000000000002"
	                     "0000000000000000000000000000000000000003\n");
	free(f0);
	free(f1);
}

Test(shim, a_line_longer_than_a_file_is_split)
{
	const char *argv[] = { "sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x; echo", NULL };
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	drover_proc p;
	size_t total = 0, len;
	int i;

	req.log_max_files = 10;
	req.log_max_file_size = 64 * 1024;
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), 0, "%s", err.message);
	wait_exit(&p, 30000);
	for (i = 0; i < 10; i++) {
		char path[PATH_MAX];
		char *s;
		snprintf(path, sizeof(path), "%s/t.stdout.%d", fx.logs, i);
		s = read_file(path, &len);
		if (!s)
			break;
		cr_assert_leq(len, 64 * 1024);
		total += len;
		free(s);
	}
	cr_assert_eq(i, 4, "200001 bytes in 64 KiB files make 4 files, found %d", i);
	cr_assert_eq(total, 200001);
}

Test(shim, a_restarted_task_continues_the_log_series)
{
	const char *argv[] = { "echo", "new", NULL };
	char path[PATH_MAX];
	drover_proc p;
	FILE *f;
	char *s;

	snprintf(path, sizeof(path), "%s/t.stdout.4", fx.logs);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("old\n", f);
	fclose(f);
	spawn_ok(argv, &p);
	wait_exit(&p, 10000);
	s = log_file("stdout", 4);
	cr_assert_str_eq(s, "old\nnew\n");
	free(s);
	s = log_file("stdout", 0);
	cr_assert_null(s, "a new series was started at index 0");
}

/* No process anywhere still has our state dir on its command line. */
static void assert_nothing_left_running(long long timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;

	for (;;) {
		int found = 0;
		DIR *d = opendir("/proc");
		struct dirent *de;

		cr_assert_not_null(d);
		while ((de = readdir(d)) != NULL) {
			char path[300], *cmd;
			size_t len, i;
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
			cmd = read_file(path, &len);
			if (!cmd)
				continue;
			for (i = 0; i + 1 < len; i++)
				if (cmd[i] == '\0')
					cmd[i] = ' ';
			if (strstr(cmd, fx.state) && stat_field(atoi(de->d_name), 3) != 'Z')
				found = 1;
			free(cmd);
		}
		closedir(d);
		if (!found)
			return;
		cr_assert_lt(mono_ms(), deadline, "a process of the failed start is still running");
		nap_ms(10);
	}
}

Test(shim, exec_failure_is_reported_and_leaves_nothing)
{
	const char *argv[] = { "/nonexistent/cmd", "arg", NULL };
	const char *argv2[] = { "no-such-command-drover", NULL };
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	char path[PATH_MAX];
	drover_proc p;
	int r;

	memset(&p, 0x5a, sizeof(p));
	r = drover_proc_spawn(NULL, &req, &p, &err);
	cr_assert_eq(r, -ENOENT, "spawn returned %d: %s", r, err.message);
	cr_assert(strstr(err.message, "cannot run \"/nonexistent/cmd\": No such file or directory"),
	          "message: %s", err.message);
	cr_assert_eq(p.pid, 0x5a5a5a5a, "the output was touched on failure");

	req = request(argv2);
	r = drover_proc_spawn(NULL, &req, &p, &err);
	cr_assert_eq(r, -ENOENT, "spawn returned %d: %s", r, err.message);
	cr_assert(strstr(err.message, "\"no-such-command-drover\""), "message: %s", err.message);

	snprintf(path, sizeof(path), "%s/exit-status", fx.state);
	cr_assert_neq(access(path, F_OK), 0, "an exit status was written for a task never run");
	assert_nothing_left_running(5000);
}

static void write_script(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

/* The task's exec follows glibc's execvpe whichever libc the shim is built
 * against: a program without a "#!" line is run by /bin/sh (musl's execvpe
 * fails with ENOEXEC), and a name is looked up past a directory whose file of
 * that name is not executable, which is the error when nothing else is found. */
Test(shim, a_script_without_interpreter_line_runs_under_sh)
{
	char script[PATH_MAX];
	const char *argv[] = { script, "one", "two", NULL };
	drover_proc p;
	char *out;

	snprintf(script, sizeof(script), "%s/no-shebang", fx.root);
	write_script(script, "echo \"ran by sh: $0 $1 $2\"\n", 0755);
	spawn_ok(argv, &p);
	cr_assert_eq(wait_exit(&p, 10000).exit_code, 0);
	out = log_file("stdout", 0);
	cr_assert_not_null(out);
	cr_assert(strstr(out, "ran by sh: ") && strstr(out, "no-shebang one two\n"), "stdout: %s",
	          out);
	free(out);
}

Test(shim, path_lookup_skips_a_file_that_is_not_executable)
{
	const char *argv[] = { "drover-test-cmd", NULL };
	char dir1[PATH_MAX], dir2[PATH_MAX], file[PATH_MAX + 32], path_var[2 * PATH_MAX + 16];
	const char *env[] = { path_var, NULL };
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	drover_proc p;
	char *out;
	int r;

	snprintf(dir1, sizeof(dir1), "%s/bin1", fx.root);
	snprintf(dir2, sizeof(dir2), "%s/bin2", fx.root);
	cr_assert_eq(mkdir(dir1, 0755), 0);
	cr_assert_eq(mkdir(dir2, 0755), 0);
	snprintf(file, sizeof(file), "%s/drover-test-cmd", dir1);
	write_script(file, "#!/bin/sh\necho wrong one\n", 0644);
	snprintf(file, sizeof(file), "%s/drover-test-cmd", dir2);
	write_script(file, "#!/bin/sh\necho found in bin2\n", 0755);
	snprintf(path_var, sizeof(path_var), "PATH=%s:%s", dir1, dir2);
	req.env = env;
	r = drover_proc_spawn(NULL, &req, &p, &err);
	cr_assert_eq(r, 0, "spawn: %d %s", r, err.message);
	cr_assert_eq(wait_exit(&p, 10000).exit_code, 0);
	out = log_file("stdout", 0);
	cr_assert_not_null(out);
	cr_assert_str_eq(out, "found in bin2\n");
	free(out);

	/* Only a file that is not executable: that is the error, not ENOENT. */
	snprintf(path_var, sizeof(path_var), "PATH=%s", dir1);
	r = drover_proc_spawn(NULL, &req, &p, &err);
	cr_assert_eq(r, -EACCES, "spawn returned %d: %s", r, err.message);
	cr_assert(strstr(err.message, "\"drover-test-cmd\""), "message: %s", err.message);
}

/* "SigBlk:" or "SigIgn:" of /proc/<pid>/status, as the hex mask. */
static unsigned long long status_mask(int pid, const char *key)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtoull(line + strlen(key), NULL, 16);
	fclose(f);
	return v;
}

/* The shim is exec'd with every signal blocked (so that no handler of the
 * host can run in a process sharing its memory); the shim and the task must
 * not inherit that, nor what the host ignores. */
Test(shim, task_starts_with_no_signal_blocked_or_ignored)
{
	const char *argv[] = { "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
	const char *sleeper[] = { "sleep", "1000", NULL };
	sigset_t usr1, old;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_usr2;
	/* Kernel sigactions: the handler comes first on every architecture. */
	unsigned long ign_action[8] = { (unsigned long)SIG_IGN }, old_32[8];
	drover_err err = { "" };
	drover_proc p;
	char *out;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &usr1, &old), 0);
	cr_assert_eq(sigaction(SIGUSR2, &ign, &old_usr2), 0);
	/* Signal 32 is glibc's own: its sigaction refuses it, the system call
	 * does not, and whoever started the host may have left it ignored. */
	cr_assert_eq(syscall(SYS_rt_sigaction, 32, ign_action, old_32, (size_t)(_NSIG / 8)), 0,
	             "%s", strerror(errno));
	spawn_ok(argv, &p);
	wait_exit(&p, 10000);
	out = log_file("stdout", 0);
	cr_assert_not_null(out);
	cr_assert_str_eq(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	free(out);

	/* The shim itself blocks SIGCHLD (its signalfd) and nothing else. */
	spawn_ok(sleeper, &p);
	cr_assert_eq(status_mask(p.shim_pid, "SigBlk:"), 1ULL << (SIGCHLD - 1), "shim SigBlk %llx",
	             status_mask(p.shim_pid, "SigBlk:"));
	cr_assert_eq(drover_proc_stop(NULL, &p, SIGKILL, 10000, &err), 0, "%s", err.message);
	wait_exit(&p, 10000);
	sigaction(SIGUSR2, &old_usr2, NULL);
	syscall(SYS_rt_sigaction, 32, old_32, NULL, (size_t)(_NSIG / 8));
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A file that passes access(X_OK) but that the kernel cannot execute: the
 * failed exec comes back from the process that tried it. */
Test(shim, a_shim_that_cannot_be_executed_is_reported)
{
	const char *argv[] = { "true", NULL };
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	char bogus[PATH_MAX];
	drover_proc p;
	FILE *f;
	int r;

	snprintf(bogus, sizeof(bogus), "%s/not-an-elf", fx.root);
	f = fopen(bogus, "we");
	cr_assert_not_null(f);
	fputs("\x7f" "ELF but not really\n", f);
	fclose(f);
	cr_assert_eq(chmod(bogus, 0755), 0);
	drover_proc_set_shim_path(bogus);
	memset(&p, 0x5a, sizeof(p));
	r = drover_proc_spawn(NULL, &req, &p, &err);
	cr_assert_eq(r, -ENOEXEC, "spawn returned %d: %s", r, err.message);
	cr_assert(strstr(err.message, "cannot execute drover-shim") && strstr(err.message, bogus) &&
	          strstr(err.message, "DROVER_SHIM"), "%s", err.message);
	cr_assert_eq(p.pid, 0x5a5a5a5a, "the output was touched on failure");
	cr_assert_eq(waitpid(-1, NULL, WNOHANG | __WALL), -1, "a child of the host is left");
	cr_assert_eq(errno, ECHILD);
}

/* A job's argv past what execve takes used to end in "Argument list too
 * long: set DROVER_SHIM or check the installation": the job is to blame. */
Test(shim, an_argument_list_too_long_blames_the_job)
{
	/* 40,000 arguments of 100 bytes: 4 MB, past any default ARG_MAX */
	enum { N = 40000 };
	const char **argv = calloc(N + 2, sizeof(*argv));
	char *arg = malloc(101);
	memset(arg, 'a', 100);
	arg[100] = '\0';
	argv[0] = "true";
	for (int i = 1; i <= N; i++)
		argv[i] = arg;
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	drover_proc p;
	int r = drover_proc_spawn(NULL, &req, &p, &err);
	cr_assert_eq(r, -E2BIG, "spawn returned %d: %s", r, err.message);
	cr_assert(strstr(err.message, "command line and environment are larger than the kernel accepts"),
	          "%s", err.message);
	cr_assert(strstr(err.message, "Config args or Env"), "says what to change: %s", err.message);
	cr_assert_null(strstr(err.message, "installation"), "does not blame the installation: %s",
	               err.message);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG | __WALL), -1, "a child of the host is left");
	free(arg);
	free(argv);
}

Test(shim, spawn_validates_the_request)
{
	const char *argv[] = { "true", NULL };
	const char *none[] = { NULL };
	drover_spawn_request req;
	drover_err err = { "" };
	drover_proc p;

	req = request(argv);
	req.state_dir = "relative/dir";
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -EINVAL);
	cr_assert(strstr(err.message, "state_dir \"relative/dir\""), "%s", err.message);

	req = request(argv);
	req.log_dir = "/nonexistent/logs";
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -ENOENT);
	cr_assert(strstr(err.message, "log_dir \"/nonexistent/logs\""), "%s", err.message);

	req = request(argv);
	req.log_max_files = 0;
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -EINVAL);
	cr_assert(strstr(err.message, "log_max_files"), "%s", err.message);

	req = request(none);
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -EINVAL);
	cr_assert(strstr(err.message, "argv"), "%s", err.message);

	req = request(argv);
	req.log_name = "a/b";
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -EINVAL);
	cr_assert(strstr(err.message, "log_name \"a/b\""), "%s", err.message);

	drover_proc_set_shim_path("/nonexistent/drover-shim");
	req = request(argv);
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -ENOENT);
	cr_assert(strstr(err.message, "\"/nonexistent/drover-shim\"") &&
	          strstr(err.message, "DROVER_SHIM"), "%s", err.message);
}

Test(shim, stop_kills_a_task_ignoring_the_signal_at_the_timeout)
{
	const char *argv[] = { "sh", "-c", "trap '' INT; echo ready; sleep 1000", NULL };
	drover_err err = { "" };
	drover_exit_result res;
	drover_proc p;
	char path[PATH_MAX];
	long long t0, elapsed;

	spawn_ok(argv, &p);
	snprintf(path, sizeof(path), "%s/t.stdout.0", fx.logs);
	free(wait_for_file_content(path, 10000)); /* the trap is set */
	t0 = mono_ms();
	cr_assert_eq(drover_proc_stop(NULL, &p, SIGINT, 500, &err), 0, "%s", err.message);
	elapsed = mono_ms() - t0;
	res = wait_exit(&p, 1000);
	cr_assert_eq(res.signal, SIGKILL, "signal %d", res.signal);
	cr_assert_geq(elapsed, 490, "killed after %lld ms, before the 500 ms timeout", elapsed);
	cr_assert_lt(elapsed, 5000);
}

Test(shim, stop_returns_as_soon_as_the_task_obeys)
{
	const char *argv[] = { "sleep", "1000", NULL };
	drover_err err = { "" };
	drover_exit_result res;
	drover_proc p;
	long long t0;

	spawn_ok(argv, &p);
	t0 = mono_ms();
	cr_assert_eq(drover_proc_stop(NULL, &p, SIGTERM, 20000, &err), 0, "%s", err.message);
	cr_assert_lt(mono_ms() - t0, 5000);
	res = wait_exit(&p, 1000);
	cr_assert_eq(res.signal, SIGTERM);
}

static void grandchildren_die(const char *finish, int stop)
{
	char script[4096], f1[400], f2[400];
	const char *argv[] = { "sh", "-c", script, NULL };
	drover_err err = { "" };
	drover_proc p;
	char *s1, *s2;
	int g1, g2;
	unsigned long long t1, t2;

	snprintf(f1, sizeof(f1), "%s/g1", fx.root);
	snprintf(f2, sizeof(f2), "%s/g2", fx.root);
	/* g1 stays in the task's process group; g2 leaves it (its own session) and
	 * is reparented to the shim when sh exits. */
	snprintf(script, sizeof(script),
	         "sleep 1000 & echo $! > %s.tmp; mv %s.tmp %s; "
	         "setsid sleep 1000 & echo $! > %s.tmp; mv %s.tmp %s; %s",
	         f1, f1, f1, f2, f2, f2, finish);
	spawn_ok(argv, &p);
	s1 = wait_for_file_content(f1, 10000);
	s2 = wait_for_file_content(f2, 10000);
	g1 = atoi(s1);
	g2 = atoi(s2);
	free(s1);
	free(s2);
	t1 = drover_proc_start_time(g1);
	t2 = drover_proc_start_time(g2);
	if (stop)
		cr_assert_eq(drover_proc_stop(NULL, &p, SIGTERM, 10000, &err), 0, "%s", err.message);
	wait_exit(&p, 10000);
	/* The shim reaps everything before it records the status. */
	cr_assert_not(process_alive(g1, t1), "the grandchild in the group (pid %d) survived", g1);
	cr_assert_not(process_alive(g2, t2), "the grandchild in its own session (pid %d) survived",
	              g2);
}

Test(shim, grandchildren_die_when_the_task_is_stopped)
{
	grandchildren_die("wait", 1);
}

Test(shim, grandchildren_die_when_the_task_exits)
{
	/* Exits only once both pid files exist, so they are not killed before that. */
	grandchildren_die("exit 3", 0);
}

Test(shim, exit_status_survives_the_host_that_spawned_it)
{
	char fifo[PATH_MAX], script[PATH_MAX + 64];
	const char *argv[] = { "sh", "-c", script, NULL };
	drover_exit_result res;
	drover_proc p;
	int pipefd[2], st, fd;
	pid_t host;

	snprintf(fifo, sizeof(fifo), "%s/go", fx.root);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(script, sizeof(script), "read x < %s; exit 5", fifo);
	cr_assert_eq(pipe(pipefd), 0);
	host = fork();
	cr_assert_geq(host, 0);
	if (host == 0) {
		/* The short-lived "host": spawns, hands over the proc, exits. */
		drover_spawn_request req = request(argv);
		drover_err err = { "" };
		drover_proc q;
		int r = drover_proc_spawn(NULL, &req, &q, &err);
		if (r == 0 && write(pipefd[1], &q, sizeof(q)) == (ssize_t)sizeof(q))
			_exit(0);
		_exit(1);
	}
	close(pipefd[1]);
	cr_assert_eq(read(pipefd[0], &p, sizeof(p)), (ssize_t)sizeof(p), "the spawning host failed");
	close(pipefd[0]);
	cr_assert_eq(waitpid(host, &st, 0), host);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert(process_alive(p.shim_pid, p.shim_start_time), "the shim died with its host");
	cr_assert(process_alive(p.pid, p.pid_start_time), "the task died with its host");
	cr_assert_neq(stat_field(p.shim_pid, 4), (long long)getpid());
	cr_assert_neq(stat_field(p.shim_pid, 4), (long long)host);

	fd = open(fifo, O_WRONLY | O_CLOEXEC); /* returns once the task opened it */
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "go\n", 3), 3);
	close(fd);
	res = wait_exit(&p, 10000);
	cr_assert_eq(res.exit_code, 5);
}

/* The hook of the "host" below: it hands the shim's pid over and dies, as a
 * host killed right after the shim existed and before the shim was let
 * through its start gate. */
static int gate_report_fd = -1;
static void die_after_recording(const char *state_dir, int shim_pid, unsigned long long start)
{
	(void)state_dir;
	(void)start;
	if (write(gate_report_fd, &shim_pid, sizeof(shim_pid)) != (ssize_t)sizeof(shim_pid))
		_exit(2);
	_exit(0);
}

Test(shim, a_host_that_dies_before_opening_the_start_gate_starts_no_task)
{
	char marker[PATH_MAX], script[PATH_MAX + 64];
	const char *argv[] = { "sh", "-c", script, NULL };
	int pipefd[2], st, shim_pid = 0;
	pid_t host;

	snprintf(marker, sizeof(marker), "%s/started", fx.root);
	snprintf(script, sizeof(script), "echo yes > %s", marker);
	cr_assert_eq(pipe(pipefd), 0);
	host = fork();
	cr_assert_geq(host, 0);
	if (host == 0) {
		drover_spawn_request req = request(argv);
		drover_err err = { "" };
		drover_proc q;
		close(pipefd[0]);
		gate_report_fd = pipefd[1];
		drover_proc_set_spawn_hook(die_after_recording);
		drover_proc_spawn(NULL, &req, &q, &err);
		_exit(3); /* the hook never returned: unreachable unless it was not called */
	}
	close(pipefd[1]);
	cr_assert_eq(read(pipefd[0], &shim_pid, sizeof(shim_pid)), (ssize_t)sizeof(shim_pid),
	             "the spawning host did not record a shim");
	close(pipefd[0]);
	cr_assert_eq(waitpid(host, &st, 0), host);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the host did not die in its hook");

	/* The shim exits on its own, without starting the task. */
	int pidfd = (int)syscall(SYS_pidfd_open, shim_pid, 0);
	if (pidfd >= 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		cr_assert_eq(poll(&pfd, 1, 10000), 1, "the shim %d is still running 10 s after its "
		             "host died before opening the start gate", shim_pid);
		close(pidfd);
	} else {
		cr_assert_eq(errno, ESRCH, "pidfd_open: %s", strerror(errno));
	}
	cr_assert_eq(access(marker, F_OK), -1, "the task ran although its host died before "
	             "recording the shim");
	char pids[PATH_MAX];
	snprintf(pids, sizeof(pids), "%s/pids", fx.state);
	cr_assert_eq(access(pids, F_OK), -1, "the shim wrote a pids file for a task it never started");
}

Test(shim, exit_status_is_never_seen_half_written)
{
	const char *argv[] = { "true", NULL };
	char path[PATH_MAX];
	int round, reads = 0;

	snprintf(path, sizeof(path), "%s/exit-status", fx.state);
	for (round = 0; round < 20; round++) {
		drover_exit_result res;
		drover_err err = { "" };
		drover_proc p;
		struct pollfd pfd;
		int fd;

		spawn_ok(argv, &p);
		fd = drover_proc_wait_fd(NULL, &p, &err);
		pfd.fd = fd;
		pfd.events = POLLIN;
		/* Read the file as fast as possible while the shim may be writing it. */
		while (fd >= 0 && poll(&pfd, 1, 0) == 0) {
			size_t len;
			char *s = read_file(path, &len);
			if (s) {
				int a, b, c;
				long long d;
				reads++;
				cr_assert_eq(sscanf(s, "exit_code=%d\nsignal=%d\noom_killed=%d\nexited_at_ms=%lld\n",
				                    &a, &b, &c, &d),
				             4, "partial exit status: \"%s\"", s);
				cr_assert_eq(s[len - 1], '\n');
				free(s);
			}
		}
		if (fd >= 0)
			close(fd);
		res = wait_exit(&p, 10000);
		cr_assert_eq(res.exit_code, 0);
	}
	{
		DIR *d = opendir(fx.state);
		struct dirent *de;
		cr_assert_not_null(d);
		while ((de = readdir(d)) != NULL)
			cr_assert(strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			          strcmp(de->d_name, "exit-status") == 0 || strcmp(de->d_name, "pids") == 0,
			          "stray file \"%s\" in the state dir", de->d_name);
		closedir(d);
		/* The pids file (proc.h) is whole: task and shim with start times. */
		char pids[400];
		snprintf(pids, sizeof(pids), "%s/pids", fx.state);
		FILE *f = fopen(pids, "r");
		cr_assert_not_null(f, "no pids file in the state dir");
		int tp = 0, sp = 0;
		unsigned long long ts = 0, ss = 0;
		char nl = 0;
		cr_assert_eq(fscanf(f, "%d %llu %d %llu%c", &tp, &ts, &sp, &ss, &nl), 5);
		fclose(f);
		cr_assert(tp > 0 && sp > 0 && ts > 0 && ss > 0 && nl == '\n');
	}
	cr_log_info("%d reads of the exit status while shims were running", reads);
}

Test(shim, a_dead_shim_gives_a_final_status_not_a_hang)
{
	const char *argv[] = { "sleep", "1000", NULL };
	drover_exit_result res;
	drover_proc p;

	spawn_ok(argv, &p);
	cr_assert_eq(kill(p.shim_pid, SIGKILL), 0);
	res = wait_exit(&p, 10000);
	cr_assert_eq(res.exit_code, -1);
	cr_assert(strstr(res.error, "died without recording an exit status"), "%s", res.error);
	kill(-p.pid, SIGKILL); /* the orphaned task */
}

Test(shim, signal_reaches_the_task_or_its_group)
{
	const char *argv[] = { "sh", "-c", "trap 'exit 42' USR1; echo ready; while :; do sleep 1; done",
		               NULL };
	char path[PATH_MAX];
	drover_err err = { "" };
	drover_exit_result res;
	drover_proc p;

	spawn_ok(argv, &p);
	snprintf(path, sizeof(path), "%s/t.stdout.0", fx.logs);
	free(wait_for_file_content(path, 10000));
	cr_assert_eq(drover_proc_signal(NULL, &p, SIGUSR1, 1, &err), 0, "%s", err.message);
	res = wait_exit(&p, 10000);
	cr_assert_eq(res.exit_code, 42);
	cr_assert_eq(drover_proc_signal(NULL, &p, SIGUSR1, 0, &err), -ESRCH);
	cr_assert(strstr(err.message, "exited"), "%s", err.message);
}

/* Issue 11, attack 1 (the host side): the shim's state directory must be one
 * only the host's user can write, else a task could forge or redirect the
 * files the host acts on. */
Test(shim, spawn_refuses_a_state_dir_others_can_write)
{
	const char *argv[] = { "true", NULL };
	drover_spawn_request req = request(argv);
	drover_err err = { "" };
	drover_proc p;

	cr_assert_eq(chmod(fx.state, 0777), 0);
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -EPERM);
	cr_assert(strstr(err.message, "state_dir") && strstr(err.message, "0777"), "%s",
	          err.message);
	cr_assert_eq(chmod(fx.state, 01777), 0);
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), -EPERM, "sticky is no better");
	cr_assert_eq(chmod(fx.state, 0700), 0);
	spawn_ok(argv, &p);
	cr_assert_eq(wait_exit(&p, 10000).exit_code, 0);
}

/* Even in its own directory the shim never opens a name it did not create:
 * a symbolic link planted under its temporary name (the name a task used to
 * redirect root's write, issue 11 attack 1) is removed, not followed, and
 * its target keeps its content and mtime. */
Test(shim, state_files_never_follow_a_planted_link)
{
	char fifo[PATH_MAX], script[PATH_MAX + 64], victim[PATH_MAX], link[PATH_MAX], *s;
	const char *argv[] = { "sh", "-c", script, NULL };
	struct stat before, after, st;
	drover_proc p;
	drover_exit_result res;
	int fd;
	FILE *f;

	snprintf(victim, sizeof(victim), "%s/victim", fx.root);
	f = fopen(victim, "we");
	cr_assert_not_null(f);
	fputs("precious\n", f);
	fclose(f);
	cr_assert_eq(stat(victim, &before), 0);
	snprintf(fifo, sizeof(fifo), "%s/go", fx.root);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(script, sizeof(script), "read x < %s; exit 3", fifo);
	spawn_ok(argv, &p);
	/* The task waits on the FIFO: plant the link the shim's exit-status write
	 * would have followed, then let the task exit. */
	snprintf(link, sizeof(link), "%s/.exit-status.%d.tmp", fx.state, p.shim_pid);
	cr_assert_eq(symlink(victim, link), 0);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "go\n", 3), 3);
	close(fd);
	res = wait_exit(&p, 10000);
	cr_assert_eq(res.exit_code, 3, "the status was recorded: %s", res.error);
	cr_assert_neq(lstat(link, &st), 0, "the planted name is gone");
	cr_assert_eq(stat(victim, &after), 0);
	cr_assert_eq(after.st_size, before.st_size);
	cr_assert(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
	          after.st_mtim.tv_nsec == before.st_mtim.tv_nsec, "the victim was written");
	s = read_file(victim, NULL);
	cr_assert_str_eq(s, "precious\n");
	free(s);
	snprintf(link, sizeof(link), "%s/exit-status", fx.state);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISREG(st.st_mode) && (st.st_mode & 077) == 0, "exit-status mode %o",
	          st.st_mode & 07777);
}

/* Issue 18 item 9: proc_find rebuilds the drover_proc from the pids file, and
 * the result stops the task as the original did; a damaged or planted file
 * is refused. */
Test(shim, proc_find_rebuilds_the_proc_from_the_state_dir)
{
	const char *argv[] = { "sleep", "300", NULL };
	char path[PATH_MAX];
	drover_err err = { "" };
	drover_proc p, found;
	drover_exit_result res;
	FILE *f;

	cr_assert_eq(drover_proc_find(NULL, fx.state, &found, &err), -ENOENT);
	cr_assert(strstr(err.message, "no task was started"), "%s", err.message);
	cr_assert_eq(drover_proc_find(NULL, "relative", &found, &err), -EINVAL);
	spawn_ok(argv, &p);
	cr_assert_eq(drover_proc_find(NULL, fx.state, &found, &err), 0, "%s", err.message);
	cr_assert_eq(found.pid, p.pid);
	cr_assert_eq(found.shim_pid, p.shim_pid);
	cr_assert_eq(found.pid_start_time, p.pid_start_time);
	cr_assert_eq(found.shim_start_time, p.shim_start_time);
	cr_assert_str_eq(found.state_dir, fx.state);
	cr_assert_gt(found.started_at_ms, 0);
	cr_assert_eq(drover_proc_stop(NULL, &found, SIGTERM, 5000, &err), 0, "%s", err.message);
	res = wait_exit(&p, 10000);
	cr_assert_eq(res.signal, SIGTERM);

	snprintf(path, sizeof(path), "%s/pids", fx.state);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symlink("/proc/self/stat", path), 0);
	cr_assert_eq(drover_proc_find(NULL, fx.state, &found, &err), -EBADMSG, "a link is not read");
	cr_assert_eq(unlink(path), 0);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("1 2 x\n", f);
	fclose(f);
	cr_assert_eq(drover_proc_find(NULL, fx.state, &found, &err), -EBADMSG);
	cr_assert(strstr(err.message, "not in drover-shim's format"), "%s", err.message);
}

/* Issue 11, attack 2: the log directory is writable by tasks (a container
 * gets alloc/ read-write). Whatever a task plants under the name of a log
 * file — a symbolic link or a hard link to a host file, a FIFO — is never
 * written through, and never blocks the shim. */
static void make_victim(char *path, size_t len, struct stat *st)
{
	FILE *f;
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	snprintf(path, len, "%s/victim", fx.root);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("precious\n", f);
	fclose(f);
	cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	cr_assert_eq(stat(path, st), 0);
}

static void check_victim(const char *path, const struct stat *before)
{
	struct stat now;
	char *s;

	cr_assert_eq(stat(path, &now), 0);
	cr_assert_eq(now.st_size, before->st_size, "the victim grew to %lld bytes",
	             (long long)now.st_size);
	cr_assert_eq(now.st_mtim.tv_sec, before->st_mtim.tv_sec, "the victim was written");
	s = read_file(path, NULL);
	cr_assert_str_eq(s, "precious\n");
	free(s);
}

Test(shim, log_rotation_never_follows_what_a_task_planted)
{
	/* After the go: 300 lines of 100 bytes through 1000-byte files. */
	char script[PATH_MAX + 256], fifo[PATH_MAX];
	const char *argv[] = { "sh", "-c", script, NULL };
	drover_spawn_request req = request(argv);
	char victim[PATH_MAX], name[PATH_MAX], *s;
	drover_err err = { "" };
	struct stat before, st;
	drover_proc p;
	int i, fd;

	snprintf(fifo, sizeof(fifo), "%s/go", fx.root);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(script, sizeof(script),
	         "read x < %s; i=0; while [ $i -lt 300 ]; do printf '%%099d\\n' $i; i=$((i+1)); "
	         "done", fifo);
	make_victim(victim, sizeof(victim), &before);
	/* .0, the file the shim continues at start: a hard link to the victim. */
	snprintf(name, sizeof(name), "%s/t.stdout.0", fx.logs);
	cr_assert_eq(link(victim, name), 0);
	cr_assert_eq(chmod(fx.logs, 0777), 0);
	req.log_max_files = 100;
	req.log_max_file_size = 1000;
	cr_assert_eq(drover_proc_spawn(NULL, &req, &p, &err), 0, "%s", err.message);
	/* The shim has its .0 open: plant the names rotation goes to next, as
	 * the container did: .1 a symbolic link (the CVE's shape), .2 a
	 * FIFO (a shim blocked on it would never record the exit), .3 a hard
	 * link, and a link on the temporary name a rotation moving a line uses. */
	snprintf(name, sizeof(name), "%s/t.stdout.1", fx.logs);
	cr_assert_eq(symlink(victim, name), 0);
	snprintf(name, sizeof(name), "%s/t.stdout.2", fx.logs);
	cr_assert_eq(mkfifo(name, 0666), 0);
	snprintf(name, sizeof(name), "%s/t.stdout.3", fx.logs);
	cr_assert_eq(link(victim, name), 0);
	snprintf(name, sizeof(name), "%s/.t.stdout.4.moving", fx.logs);
	cr_assert_eq(symlink(victim, name), 0);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "go\n", 3), 3);
	close(fd);
	cr_assert_eq(wait_exit(&p, 20000).exit_code, 0);
	check_victim(victim, &before);
	cr_assert_eq(stat(victim, &st), 0);
	cr_assert_eq(st.st_nlink, 1, "a planted hard link is still there");
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "%s/t.stdout.%d", fx.logs, i);
		cr_assert_eq(lstat(name, &st), 0, "%s: %s", name, strerror(errno));
		cr_assert(S_ISREG(st.st_mode) && st.st_nlink == 1, "%s is not a log file of ours",
		          name);
	}
	/* Every line arrived, in the files the shim made. */
	snprintf(name, sizeof(name), "%s/t.stdout.1", fx.logs);
	s = read_file(name, NULL);
	cr_assert(s && strncmp(s, "0000000000", 10) == 0, "t.stdout.1: %s", s ? s : "(none)");
	free(s);
	snprintf(name, sizeof(name), "%s/t.stdout.29", fx.logs);
	s = read_file(name, NULL);
	cr_assert_not_null(s, "the last file is missing");
	cr_assert(strstr(s, "299\n"), "%s", s);
	free(s);
}

/* Under drover-nomad-driver the task's output goes to Nomad's
 * TaskConfig.stdout_path/stderr_path FIFOs (drover_proc_spawn_ex), which
 * Nomad's log collector reads. */
static void make_fifo_reader(const char *name, char *path, size_t len, int *fd)
{
	snprintf(path, len, "%s/%s", fx.logs, name);
	cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo %s: %s", path, strerror(errno));
	/* Non-blocking so that the open does not wait for the writer. */
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(*fd, 0, "open %s: %s", path, strerror(errno));
}

static char *read_available(int fd)
{
	static char buf[4096];
	size_t used = 0;
	ssize_t n;

	while (used < sizeof(buf) - 1 && (n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	return buf;
}

Test(shim, fifo_output_goes_to_the_fifos_unchanged)
{
	const char *argv[] = { "sh", "-c", "echo out-line; echo err-line >&2; printf partial",
		               NULL };
	drover_spawn_request req = request(argv);
	char out_path[PATH_MAX], err_path[PATH_MAX], log0[PATH_MAX];
	drover_proc_spawn_opts opts = { out_path, err_path };
	drover_err err = { "" };
	drover_proc p;
	int out_fd, err_fd;

	make_fifo_reader(".t.stdout.fifo", out_path, sizeof(out_path), &out_fd);
	make_fifo_reader(".t.stderr.fifo", err_path, sizeof(err_path), &err_fd);
	cr_assert_eq(drover_proc_spawn_ex(NULL, &req, &opts, &p, &err), 0, "%s", err.message);
	drover_exit_result res = wait_exit(&p, 10000);
	cr_assert_eq(res.exit_code, 0);
	/* The shim wrote everything before it recorded the exit. */
	cr_assert_str_eq(read_available(out_fd), "out-line\npartial");
	cr_assert_str_eq(read_available(err_fd), "err-line\n");
	snprintf(log0, sizeof(log0), "%s/t.stdout.0", fx.logs);
	cr_assert_eq(access(log0, F_OK), -1, "a log file was written beside the FIFO");
	close(out_fd);
	close(err_fd);
}

static void check_fifo_refused(const char *what, const char *want)
{
	const char *argv[] = { "sh", "-c", "echo out-line; echo err-line >&2", NULL };
	drover_spawn_request req = request(argv);
	char out_path[PATH_MAX], err_path[PATH_MAX];
	drover_proc_spawn_opts opts = { out_path, err_path };
	drover_err err = { "" };
	drover_proc p;
	int err_fd;

	snprintf(out_path, sizeof(out_path), "%s/.t.stdout.fifo", fx.logs);
	make_fifo_reader(".t.stderr.fifo", err_path, sizeof(err_path), &err_fd);
	int r = drover_proc_spawn_ex(NULL, &req, &opts, &p, &err);
	cr_assert_lt(r, 0, "a %s at the stdout FIFO's path was accepted", what);
	cr_assert(strstr(err.message, out_path) && strstr(err.message, want),
	          "the error names the path and says \"%s\": %s", want, err.message);
	/* Nothing of the task ran: no output anywhere. */
	cr_assert_str_eq(read_available(err_fd), "");
	close(err_fd);
}

Test(shim, fifo_path_that_is_a_symlink_is_refused)
{
	char target[PATH_MAX], link_path[PATH_MAX];
	int target_fd;

	/* A real FIFO with a reader behind the link: the open would succeed if
	 * the link were followed. */
	snprintf(target, sizeof(target), "%s/elsewhere.fifo", fx.root);
	cr_assert_eq(mkfifo(target, 0600), 0);
	target_fd = open(target, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(target_fd, 0);
	snprintf(link_path, sizeof(link_path), "%s/.t.stdout.fifo", fx.logs);
	cr_assert_eq(symlink(target, link_path), 0);
	check_fifo_refused("symbolic link", "symbolic link");
	cr_assert_str_eq(read_available(target_fd), "", "output went through the link");
	close(target_fd);
}

Test(shim, fifo_path_that_is_a_regular_file_is_refused)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.t.stdout.fifo", fx.logs);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fclose(f);
	check_fifo_refused("regular file", "not a FIFO");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 0, "the regular file was written");
}

/* Nomad's logmon restarts: the shim follows its reader to the FIFO's next
 * open; what is written while nobody reads is dropped, the task not held. */
Test(shim, fifo_reader_that_restarts_is_followed)
{
	char script[2 * PATH_MAX + 128], go1[PATH_MAX], go2[PATH_MAX];
	const char *argv[] = { "sh", "-c", script, NULL };
	drover_spawn_request req = request(argv);
	char out_path[PATH_MAX], err_path[PATH_MAX];
	drover_proc_spawn_opts opts = { out_path, err_path };
	drover_err err = { "" };
	drover_proc p;
	int out_fd, err_fd, fd;
	long long deadline;
	char got[4096] = "";

	snprintf(go1, sizeof(go1), "%s/go1", fx.root);
	snprintf(go2, sizeof(go2), "%s/go2", fx.root);
	cr_assert_eq(mkfifo(go1, 0600), 0);
	cr_assert_eq(mkfifo(go2, 0600), 0);
	snprintf(script, sizeof(script),
	         "echo one; read x < %s; echo lost; echo lost-done >&2; read x < %s; echo two",
	         go1, go2);
	make_fifo_reader(".t.stdout.fifo", out_path, sizeof(out_path), &out_fd);
	make_fifo_reader(".t.stderr.fifo", err_path, sizeof(err_path), &err_fd);
	cr_assert_eq(drover_proc_spawn_ex(NULL, &req, &opts, &p, &err), 0, "%s", err.message);
	deadline = mono_ms() + 10000;
	while (!strstr(got, "one\n") && mono_ms() < deadline) {
		strncat(got, read_available(out_fd), sizeof(got) - strlen(got) - 1);
		nap_ms(10);
	}
	cr_assert_str_eq(got, "one\n");
	close(out_fd); /* the reader goes away */
	fd = open(go1, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "\n", 1), 1);
	close(fd);
	/* The shim reads stdout before stderr: once "lost-done" is through,
	 * "lost" met the FIFO without a reader. */
	got[0] = '\0';
	while (!strstr(got, "lost-done\n") && mono_ms() < deadline) {
		strncat(got, read_available(err_fd), sizeof(got) - strlen(got) - 1);
		nap_ms(10);
	}
	cr_assert_str_eq(got, "lost-done\n");
	out_fd = open(out_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* logmon is back */
	cr_assert_geq(out_fd, 0);
	fd = open(go2, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "\n", 1), 1);
	close(fd);
	cr_assert_eq(wait_exit(&p, 10000).exit_code, 0);
	cr_assert_str_eq(read_available(out_fd), "two\n");
	close(out_fd);
	close(err_fd);
}

/* Nobody reads, or a reader that never reads: the task still runs to its end
 * and its exit is recorded (output dropped), within the shim's bounds
 * (SHIM_FIFO_OPEN_WAIT_MS at start, SHIM_FIFO_STALL_MS once). */
Test(shim, fifo_without_a_reader_never_holds_the_task, .timeout = 60)
{
	/* 1 MB to the FIFO nobody reads from, far beyond a pipe's 64 KB. */
	const char *argv[] = { "sh", "-c", "head -c 1048576 /dev/zero; echo done >&2", NULL };
	drover_spawn_request req = request(argv);
	char out_path[PATH_MAX], err_path[PATH_MAX];
	drover_proc_spawn_opts opts = { out_path, err_path };
	drover_err err = { "" };
	drover_proc p;
	int stalled_fd;
	long long t0;

	/* stdout: a reader that holds the FIFO open and never reads; stderr: no
	 * reader at all. */
	make_fifo_reader(".t.stdout.fifo", out_path, sizeof(out_path), &stalled_fd);
	snprintf(err_path, sizeof(err_path), "%s/.t.stderr.fifo", fx.logs);
	cr_assert_eq(mkfifo(err_path, 0600), 0);
	t0 = mono_ms();
	cr_assert_eq(drover_proc_spawn_ex(NULL, &req, &opts, &p, &err), 0, "%s", err.message);
	drover_exit_result res = wait_exit(&p, 30000);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_lt(mono_ms() - t0, 20000, "the task was held %lld ms", mono_ms() - t0);
	close(stalled_fd);
}

/* The exec driver: start-to-running latency of /bin/true against `crun run`
 * of an equivalent OCI bundle, interleaved; and the task directory's growth
 * on disk against copying the chroot_env directories as Nomad does.
 *
 * The bundle has what exec gives a task: the default chroot_env bound
 * read-only (nosuid, nodev), /proc, a /dev tmpfs with a private devpts and
 * /dev/shm, /alloc bound, /secrets a 1 MiB tmpfs, the PID, IPC and mount
 * namespaces, user nobody, no_new_privs, Nomad's capability set, memory,
 * cpu.shares and pids limits. No `hostname` (exec has no UTS namespace) and
 * no seccomp profile (crun would compile one from JSON on every run).
 * crun refuses this machine's hybrid cgroup layout (v1 controllers plus an
 * empty cgroup2 at /sys/fs/cgroup/unified), so it runs from a helper process
 * in its own mount namespace where that cgroup2 mount is detached: crun then
 * sees cgroup v1 and creates its cgroups there, as the exec driver does.
 *
 * Nomad builds an exec task's root by hard-linking (copying where a link
 * fails) every chroot_env directory into the task directory. The baseline
 * does that with `cp -al` on the same file system, and reports what a byte
 * copy would write (du of the sources); BENCH_EXEC_BYTE_COPY=1 also makes the
 * byte copy and times it (gigabytes: off by default).
 *
 * Knobs: BENCH_EXEC_REPEAT (default 100), BENCH_EXEC_DISK_REPEAT (5),
 * BENCH_EXEC_BYTE_COPY. Needs root and cgroups; fails otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_driver.h"
#include "util.h"

extern char **environ;

#define CRUN_CGROUP_PARENT "drover-bench-crun"
#define MEMORY_MB 256
#define CPU_MHZ 100
#define PIDS_LIMIT 4096

/* exec's default client.chroot_env, where the host has it. */
static const char *const chroot_dirs[] = {"/bin",  "/etc",            "/lib",  "/lib32",
                                          "/lib64", "/run/resolvconf", "/sbin", "/usr",
                                          NULL};

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* ------------------------------------------------------------- crun */

static void write_bundle(const char *bundle, const char *alloc_dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	int rc = drover_mkdir_p(path, 0755);
	if (rc < 0)
		bench_die("cannot create \"%s\": %s", path, strerror(-rc));
	static const char *const caps =
		"\"CAP_AUDIT_WRITE\", \"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", "
		"\"CAP_FSETID\", \"CAP_KILL\", \"CAP_MKNOD\", \"CAP_NET_BIND_SERVICE\", "
		"\"CAP_SETFCAP\", \"CAP_SETGID\", \"CAP_SETPCAP\", \"CAP_SETUID\", \"CAP_SYS_CHROOT\"";
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	FILE *f = fopen(path, "we");
	if (!f)
		bench_die("cannot create \"%s\": %s", path, strerror(errno));
	fprintf(f,
	        "{\"ociVersion\": \"1.0.2\",\n"
	        " \"process\": {\"terminal\": false, \"user\": {\"uid\": 65534, \"gid\": 65534},\n"
	        "  \"args\": [\"/bin/true\"], \"env\": [\"PATH=/usr/local/bin:/usr/bin:/bin\", "
	        "\"HOME=/\", \"LANG=C\"], \"cwd\": \"/\", \"noNewPrivileges\": true,\n"
	        "  \"capabilities\": {\"bounding\": [%s], \"effective\": [%s], \"permitted\": [%s], "
	        "\"inheritable\": [%s], \"ambient\": [%s]}},\n"
	        " \"root\": {\"path\": \"rootfs\", \"readonly\": false},\n"
	        " \"mounts\": [\n"
	        "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	        "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
	        "\"options\": [\"nosuid\", \"mode=755\", \"size=64k\"]},\n"
	        "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", "
	        "\"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
	        "\"mode=0620\"]},\n"
	        "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", "
	        "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\"]},\n"
	        "  {\"destination\": \"/secrets\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
	        "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=700\", \"size=1m\"]},\n"
	        "  {\"destination\": \"/alloc\", \"type\": \"bind\", \"source\": \"%s/alloc\", "
	        "\"options\": [\"rbind\", \"nosuid\", \"nodev\"]}",
	        caps, caps, caps, caps, caps, alloc_dir);
	for (size_t i = 0; chroot_dirs[i]; i++)
		if (exists(chroot_dirs[i]))
			fprintf(f,
			        ",\n  {\"destination\": \"%s\", \"type\": \"bind\", \"source\": \"%s\", "
			        "\"options\": [\"rbind\", \"ro\", \"nosuid\", \"nodev\"]}",
			        chroot_dirs[i], chroot_dirs[i]);
	fprintf(f,
	        "],\n"
	        " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, "
	        "{\"type\": \"mount\"}],\n"
	        "  \"cgroupsPath\": \"/" CRUN_CGROUP_PARENT "/%d\",\n"
	        "  \"resources\": {\"memory\": {\"limit\": %lld}, \"cpu\": {\"shares\": %d}, "
	        "\"pids\": {\"limit\": %d}}}}\n",
	        (int)getpid(), (long long)MEMORY_MB << 20, CPU_MHZ, PIDS_LIMIT);
	if (fclose(f) != 0)
		bench_die("cannot write \"%s\": %s", path, strerror(errno));
}

/* In the helper: spawn argv and wait for it; its wait status, or -1. */
static int helper_run(const char *const *argv)
{
	pid_t pid;
	if (posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
		return -1;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* The helper process: never returns, never runs the parent's cleanup hooks.
 * For each request on `cmd` it times `crun run -d` (which returns once the
 * container's process was started), deletes the container untimed and
 * answers with the milliseconds (negative: crun failed). */
static void crun_helper(int cmd, int answer, const char *crun, const char *bundle)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "bench_exec: crun helper: private mount namespace: %s\n",
		        strerror(errno));
		_exit(1);
	}
	if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
		fprintf(stderr, "bench_exec: crun helper: umount /sys/fs/cgroup/unified: %s\n",
		        strerror(errno));
		_exit(1);
	}
	int index;
	while (read(cmd, &index, sizeof(index)) == (ssize_t)sizeof(index)) {
		char id[64];
		snprintf(id, sizeof(id), "drover-bench-%d-%d", (int)getppid(), index);
		const char *run[] = {crun, "--cgroup-manager=cgroupfs", "run", "-d", "-b", bundle, id, NULL};
		const char *del[] = {crun, "delete", "-f", id, NULL};
		long long t0 = bench_now_ns();
		int status = helper_run(run);
		long long t1 = bench_now_ns();
		double ms = (double)(t1 - t0) / 1e6;
		if (status != 0)
			ms = -1;
		if (helper_run(del) != 0)
			ms = -1;
		if (write(answer, &ms, sizeof(ms)) != (ssize_t)sizeof(ms))
			_exit(1);
	}
	_exit(0);
}

typedef struct crun_baseline {
	pid_t helper;
	int cmd, answer;
} crun_baseline;

static void rmdir_cgroups(void)
{
	static const char *const ctrls[] = {"blkio", "cpu", "cpuacct", "cpuset", "devices",
	                                    "freezer", "memory", "pids", "systemd", "unified", NULL};
	for (size_t i = 0; ctrls[i]; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/" CRUN_CGROUP_PARENT, ctrls[i]);
		rmdir(path);
	}
}

static void crun_cleanup(void *data)
{
	crun_baseline *c = data;
	if (c->cmd >= 0)
		close(c->cmd); /* the helper reads EOF and exits */
	c->cmd = -1;
	if (c->helper > 0 && bench_wait_gone(c->helper, 30000) == -ETIMEDOUT)
		kill(c->helper, SIGKILL);
	if (c->helper > 0)
		waitpid(c->helper, NULL, 0);
	c->helper = 0;
	if (c->answer >= 0)
		close(c->answer);
	c->answer = -1;
	rmdir_cgroups();
}

static void crun_start(crun_baseline *c, const char *bundle)
{
	const char *crun = bench_env_path("BENCH_CRUN", "/usr/bin/crun");
	if (access(crun, X_OK) < 0)
		bench_die("no crun at \"%s\" (scripts/install-deps.sh installs it; BENCH_CRUN "
		          "overrides the path): %s", crun, strerror(errno));
	int cmd[2], answer[2];
	if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(answer, O_CLOEXEC) < 0)
		bench_die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(cmd[1]);
		close(answer[0]);
		crun_helper(cmd[0], answer[1], crun, bundle);
	}
	close(cmd[0]);
	close(answer[1]);
	*c = (crun_baseline){.helper = pid, .cmd = cmd[1], .answer = answer[0]};
	bench_on_cleanup(crun_cleanup, c);
}

static double crun_once(crun_baseline *c, int index)
{
	if (write(c->cmd, &index, sizeof(index)) != (ssize_t)sizeof(index))
		bench_die("the crun helper is gone: %s", strerror(errno));
	struct pollfd p = {.fd = c->answer, .events = POLLIN};
	int n;
	while ((n = poll(&p, 1, 30000)) < 0 && errno == EINTR)
		;
	double ms;
	if (n == 0)
		bench_die("crun run did not return within 30 s");
	if (n < 0 || read(c->answer, &ms, sizeof(ms)) != (ssize_t)sizeof(ms))
		bench_die("the crun helper is gone (see its messages above)");
	if (ms < 0)
		bench_die("crun run (or delete) of the /bin/true bundle failed (see above)");
	return ms;
}

/* ------------------------------------------------------------- exec */

static void prepare_task(bench_task *t, const char *root, int index)
{
	bench_task_prepare(t, root, index);
	/* As host/allocdir.c lays a task directory out. */
	static const struct {
		const char *sub;
		mode_t mode;
	} dirs[] = {{"local", 0777}, {"secrets", 0777}, {"tmp", 01777}};
	char path[400];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->task_dir, dirs[i].sub);
		if (mkdir(path, dirs[i].mode) < 0 || chmod(path, dirs[i].mode) < 0)
			bench_die("cannot create \"%s\": %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/alloc", t->alloc_dir);
	if (chmod(path, 0777) < 0)
		bench_die("chmod \"%s\": %s", path, strerror(errno));
}

static void start_latency(bench_driver *d, const char *root)
{
	long long repeat = bench_env_count("BENCH_EXEC_REPEAT", 100, 100000);
	static crun_baseline crun;
	char bundle[400];
	bench_task bt;
	prepare_task(&bt, root, 999999); /* the bundle's /alloc */
	snprintf(bundle, sizeof(bundle), "%s/bundle", root);
	write_bundle(bundle, bt.alloc_dir);
	crun_start(&crun, bundle);
	bench_samples drv = {0}, base = {0};
	for (long long i = 0; i < repeat; i++) {
		bench_task t;
		drover_err err = {{0}};
		prepare_task(&t, root, (int)i);
		long long t0 = bench_now_ns();
		int rc = bench_driver_start(d, &t, "{\"command\": \"/bin/true\"}", MEMORY_MB, CPU_MHZ, &err);
		long long t1 = bench_now_ns();
		if (rc < 0)
			bench_die("exec start of /bin/true (run %lld): %s", i + 1, err.message);
		drover_exit_result res = bench_driver_reap(d, &t);
		if (res.exit_code != 0 || res.signal != 0)
			bench_die("exec task /bin/true ended with code %d, signal %d: %s", res.exit_code,
			          res.signal, res.error);
		bench_samples_add(&drv, (double)(t1 - t0) / 1e6);
		bench_samples_add(&base, crun_once(&crun, (int)i));
		bench_rm_rf(t.alloc_dir);
	}
	crun_cleanup(&crun);
	bench_result("exec_start", "unit", "ms");
	bench_result_samples("exec_start", "samples", &drv);
	bench_result_samples("exec_start", "baseline", &base);
	bench_result("exec_start", "note",
	             "%lld runs, interleaved with the baseline; start() returns once drover-shim "
	             "reported drover-exec-init exec'd in the task's cgroups (the namespaces, "
	             "mounts and the command's exec follow in the task); baseline: `crun run -d` "
	             "from spawn to exit, which returns once the container's process "
	             "was started, of a bundle with the same binds, namespaces, user, "
	             "capabilities and limits (%d MiB, %d shares, %d pids), cgroupfs v1; no "
	             "seccomp profile in the bundle",
	             repeat, MEMORY_MB, CPU_MHZ, PIDS_LIMIT);
	fprintf(stderr, "bench_exec: exec start() median %.3f ms, crun run -d %.3f ms\n",
	        bench_samples_median(&drv), bench_samples_median(&base));
	bench_samples_clear(&drv);
	bench_samples_clear(&base);
}

/* du -s -k -x: blocks on disk, not crossing into mounts. */
static long long du_kib(const char *path, int apparent)
{
	const char *argv[] = {"/usr/bin/du", "-s", "-k", "-x", apparent ? "--apparent-size" : "-x",
	                      path, NULL};
	char *out = NULL;
	if (bench_run(argv, 600000, &out) != 0)
		bench_die("du of \"%s\" failed", path);
	long long kib = -1;
	if (sscanf(out, "%lld", &kib) != 1)
		bench_die("du of \"%s\" printed \"%s\"", path, out);
	free(out);
	return kib;
}

static long long du_sources_kib(const char *const *srcs, int apparent)
{
	/* One du over all sources: it counts an inode once, as a copy of
	 * /bin -> usr/bin next to /usr would not (a copy writes both). */
	long long total = 0;
	for (size_t i = 0; srcs[i]; i++) {
		char real[4096];
		if (!realpath(srcs[i], real))
			continue;
		total += du_kib(real, apparent);
	}
	return total;
}

/* What `dest` adds on disk to the sources it links to: du counts an inode
 * once per run, under the first argument it meets it in, so with the sources
 * first the line of `dest` holds only its own directories and copies. */
static long long du_new_kib(const char *const *srcs, const char *dest)
{
	const char *argv[20] = {"/usr/bin/du", "-s", "-k", "-x"};
	char real[16][4096];
	size_t n = 4;
	for (size_t i = 0; srcs[i] && i < 16; i++)
		if (realpath(srcs[i], real[i]))
			argv[n++] = real[i];
	argv[n++] = dest;
	argv[n] = NULL;
	char *out = NULL;
	if (bench_run(argv, 600000, &out) != 0)
		bench_die("du of \"%s\" failed", dest);
	long long kib = -1;
	char *last = out, *nl;
	while ((nl = strchr(last, '\n')) && nl[1])
		last = nl + 1;
	if (sscanf(last, "%lld", &kib) != 1)
		bench_die("du of \"%s\" printed \"%s\"", dest, last);
	free(out);
	return kib;
}

/* cp -a (-l: hard links) -H of each chroot_env source to the same path under
 * `dest`, one at a time as Nomad walks them (so /bin -> usr/bin is copied
 * apart from /usr); ms. */
static double copy_chroot(const char *const *srcs, const char *dest, int links)
{
	long long t0 = bench_now_ns();
	for (size_t i = 0; srcs[i]; i++) {
		char to[600], parent[600];
		snprintf(to, sizeof(to), "%s%s", dest, srcs[i]);
		snprintf(parent, sizeof(parent), "%s", to);
		*strrchr(parent, '/') = '\0';
		int rc = drover_mkdir_p(parent, 0755);
		if (rc < 0)
			bench_die("cannot create \"%s\": %s", parent, strerror(-rc));
		const char *argv[] = {"/usr/bin/cp", links ? "-alH" : "-aH", srcs[i], to, NULL};
		if ((rc = bench_run(argv, 3600000, NULL)) != 0)
			bench_die("cp %s %s %s exited %d", argv[1], srcs[i], to, rc);
	}
	return (double)(bench_now_ns() - t0) / 1e6;
}

static void disk_growth(bench_driver *d, const char *root)
{
	long long repeat = bench_env_count("BENCH_EXEC_DISK_REPEAT", 5, 1000);
	bench_samples grow = {0}, base = {0};
	for (long long i = 0; i < repeat; i++) {
		bench_task t;
		drover_err err = {{0}};
		prepare_task(&t, root, 100000 + (int)i);
		long long before = du_kib(t.task_dir, 0);
		if (bench_driver_start(d, &t, "{\"command\": \"/bin/sleep\", \"args\": [\"3600\"]}",
		                       MEMORY_MB, CPU_MHZ, &err) < 0)
			bench_die("exec start of /bin/sleep: %s", err.message);
		long long after = du_kib(t.task_dir, 0);
		if (d->drv->stop(d->ctx, t.task, SIGTERM, 5000, &err) < 0)
			bench_die("exec stop: %s", err.message);
		bench_driver_reap(d, &t);
		bench_samples_add(&grow, (double)(after - before));
		bench_rm_rf(t.alloc_dir);
	}
	const char *srcs[16];
	size_t n = 0;
	for (size_t i = 0; chroot_dirs[i]; i++)
		if (exists(chroot_dirs[i]))
			srcs[n++] = chroot_dirs[i];
	srcs[n] = NULL;
	/* Nomad: a hard link per file, a copy where linking fails. */
	char dest[400];
	snprintf(dest, sizeof(dest), "%s/nomad-task", root);
	if (mkdir(dest, 0755) < 0)
		bench_die("mkdir \"%s\": %s", dest, strerror(errno));
	double link_ms = copy_chroot(srcs, dest, 1);
	long long linked = du_new_kib(srcs, dest);
	bench_rm_rf(dest);
	bench_samples_add(&base, (double)linked);
	long long bytes_kib = du_sources_kib(srcs, 0);
	char copied[200] = "not made (BENCH_EXEC_BYTE_COPY=1 makes it)";
	if (getenv("BENCH_EXEC_BYTE_COPY") && strcmp(getenv("BENCH_EXEC_BYTE_COPY"), "1") == 0) {
		if (mkdir(dest, 0755) < 0)
			bench_die("mkdir \"%s\": %s", dest, strerror(errno));
		double copy_ms = copy_chroot(srcs, dest, 0);
		long long size = du_kib(dest, 0);
		bench_rm_rf(dest);
		snprintf(copied, sizeof(copied), "made: %lld KiB on disk in %.0f ms", size, copy_ms);
	}
	bench_result("exec_disk", "unit", "KiB");
	bench_result_samples("exec_disk", "samples", &grow);
	bench_result_samples("exec_disk", "baseline", &base);
	bench_result("exec_disk", "note",
	             "%lld tasks (/bin/sleep), `du -s -k -x` of the task directory while the task "
	             "runs minus before start, default chroot_env (the binds live in the task's "
	             "mount namespace); baseline: Nomad's way on one file system, `cp -alH` of "
	             "the %zu chroot_env directories (a hard link per file, directories created; du counts what the "
	             "copy adds besides the linked inodes), %.0f ms; a byte copy would write %lld KiB (du of the sources, each "
	             "counted on its own as Nomad copies /bin -> usr/bin and /usr apart), %s",
	             repeat, n, link_ms, bytes_kib, copied);
	fprintf(stderr, "bench_exec: task dir growth median %.0f KiB; cp -al %lld KiB in %.0f ms\n",
	        bench_samples_median(&grow), linked, link_ms);
	bench_samples_clear(&grow);
	bench_samples_clear(&base);
}

int main(void)
{
	bench_begin("bench_exec");
	if (geteuid() != 0)
		bench_die("the exec driver and crun need root");
	if (setenv("DROVER_EXEC_INIT", bench_env_path("DROVER_EXEC_INIT", BENCH_EXEC_INIT_DEFAULT),
	           1) < 0)
		bench_die("setenv: %s", strerror(errno));
	static bench_driver d;
	char *root = bench_tmpdir("exec");
	chmod(root, 0755); /* nobody walks into its task directory */
	bench_driver_open(&d, bench_env_path("BENCH_EXEC_SO", BENCH_EXEC_SO_DEFAULT), "{}");
	start_latency(&d, root);
	disk_growth(&d, root);
	return bench_finish();
}

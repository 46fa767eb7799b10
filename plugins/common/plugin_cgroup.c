/* The cgroup of a raw_exec or exec task; see plugin_cgroup.h. */
#include "plugin_cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <libcgroup.h>

#include "plugin_devices.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define V1_PARENT "drover"
#define V2_PARENT "drover.slice"
#define FREEZE_DEADLINE_MS 2000

static const char *const v1_controllers[] = { "memory", "cpu", "cpuacct", "pids", "freezer",
	                                      NULL };

static pthread_once_t libcgroup_once = PTHREAD_ONCE_INIT;
static int libcgroup_rc = -1;

static void libcgroup_init_once(void)
{
	libcgroup_rc = cgroup_init();
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* "<a>/<b>", or -ENAMETOOLONG. */
static int path_join2(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s/%s", a, b);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int file_exists(const char *dir, const char *name)
{
	char path[DROVER_PATH_MAX];
	if (path_join2(path, sizeof(path), dir, name) < 0)
		return 0;
	return access(path, F_OK) == 0;
}

/* Only a real cgroupfs acts on writes (kill, membership); an imitation tree is
 * plain files. */
static int is_cgroupfs(const char *dir)
{
	struct statfs sf;
	return statfs(dir, &sf) == 0 &&
	       ((unsigned long)sf.f_type == CGROUP_SUPER_MAGIC ||
	        (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC);
}

/* cgroupfs creates every file with the directory: no O_CREAT, so that a
 * missing controller file is an error and not a new plain file. */
static int write_file(const char *dir, const char *name, const char *value)
{
	char path[DROVER_PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	if (path_join2(path, sizeof(path), dir, name) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (close(fd) < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int read_file(const char *dir, const char *name, char *buf, size_t len)
{
	char path[DROVER_PATH_MAX];
	ssize_t n;
	int fd;

	if (path_join2(path, sizeof(path), dir, name) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int read_u64(const char *dir, const char *name, unsigned long long *out)
{
	char buf[64], *end;
	int r = read_file(dir, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return (end == buf || errno) ? -EINVAL : 0;
}

/* The value of "key N" in a flat keyed file (memory.stat, cpu.stat,
 * memory.events, memory.oom_control). */
static int read_keyed(const char *dir, const char *name, const char *key,
                      unsigned long long *out)
{
	char buf[8192];
	size_t klen = strlen(key);
	const char *p;
	int r = read_file(dir, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			*out = strtoull(p + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

static int dir_add(plugin_cgroup *cg, const char *controller, const char *path,
                   drover_err *err)
{
	if (cg->n >= PLUGIN_CGROUP_MAX_DIRS)
		return drover_err_set(err, -E2BIG, "more than %d cgroup controllers to join",
		                      PLUGIN_CGROUP_MAX_DIRS);
	if (strchr(path, ':') || strlen(path) >= DROVER_PATH_MAX - 64)
		return drover_err_set(err, -EINVAL,
		                      "cgroup path \"%s\" is too long or holds a \":\"", path);
	snprintf(cg->dirs[cg->n].controller, sizeof(cg->dirs[cg->n].controller), "%s",
	         controller);
	cg->dirs[cg->n].path = strdup(path);
	if (!cg->dirs[cg->n].path)
		return drover_err_set(err, -ENOMEM, "out of memory");
	cg->n++;
	return 0;
}

/* Where the hierarchies are, asked of libcgroup once per process (it reads
 * the mount table once too, in cgroup_init): a task start then costs no
 * lookup and no allocation for them. */
static struct {
	int version; /* 0: no hierarchy with a memory controller */
	char mount[sizeof(v1_controllers) / sizeof(v1_controllers[0])][DROVER_PATH_MAX];
} mounts;
static pthread_once_t mounts_once = PTHREAD_ONCE_INIT;

static int libcgroup_mount_of(const char *controller, char *out, size_t len)
{
	char *mp = NULL;

	if (cgroup_get_subsys_mount_point(controller, &mp) != 0 || !mp)
		return -ENOENT;
	snprintf(out, len, "%s", mp);
	free(mp);
	return 0;
}

static void mounts_init(void)
{
	size_t i;

	pthread_once(&libcgroup_once, libcgroup_init_once);
	if (libcgroup_rc != 0)
		return;
	for (i = 0; v1_controllers[i]; i++)
		libcgroup_mount_of(v1_controllers[i], mounts.mount[i], sizeof(mounts.mount[i]));
	if (!mounts.mount[0][0])
		return;
	/* A unified hierarchy that holds the memory controller: v2. */
	mounts.version = file_exists(mounts.mount[0], "cgroup.controllers") ? 2 : 1;
}

/* Mount point of a v1 controller, or of the v2 root (controller NULL). */
static int mount_of(const char *root, int version, const char *controller, char *out,
                    size_t len)
{
	size_t i;

	if (root) {
		if (version == 2)
			snprintf(out, len, "%s", root);
		else
			snprintf(out, len, "%s/%s", root, controller);
		return is_dir(out) ? 0 : -ENOENT;
	}
	pthread_once(&mounts_once, mounts_init);
	if (!controller)
		controller = "memory";
	for (i = 0; v1_controllers[i]; i++) {
		if (strcmp(v1_controllers[i], controller) == 0) {
			if (!mounts.mount[i][0])
				return -ENOENT;
			snprintf(out, len, "%s", mounts.mount[i]);
			return 0;
		}
	}
	/* A controller of a cgroup_v1_override that drover does not use itself. */
	if (libcgroup_rc != 0)
		return -ENOENT;
	return libcgroup_mount_of(controller, out, len);
}

static int detect_version(const char *root)
{
	if (root)
		return file_exists(root, "cgroup.controllers") ? 2 : 1;
	pthread_once(&mounts_once, mounts_init);
	return mounts.version;
}

static int valid_name_part(const char *s)
{
	return s && s[0] && !strchr(s, '/') && !strchr(s, ':') && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0 && strlen(s) < 200;
}

static int join_path(char *out, size_t len, const char *base, const char *path)
{
	int n = path[0] == '/' ? snprintf(out, len, "%s", path)
	                       : snprintf(out, len, "%s/%s", base, path);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static int plan_v1_override(plugin_cgroup *cg, const char *root, const drover_value *v1,
                            drover_err *err)
{
	size_t i;

	for (i = 0; i < v1->u.object.count; i++) {
		const char *ctrl = v1->u.object.keys[i];
		const drover_value *v = &v1->u.object.values[i];
		char mp[DROVER_PATH_MAX], path[DROVER_PATH_MAX];
		size_t k;
		int r;

		for (k = 0; ctrl[k]; k++)
			if (!islower((unsigned char)ctrl[k]) && ctrl[k] != '_' && ctrl[k] != ',')
				break;
		if (!ctrl[0] || ctrl[k] || k >= 32)
			return drover_err_set(err, -EINVAL,
			                      "config \"cgroup_v1_override\": \"%s\" is not a cgroup "
			                      "controller name",
			                      ctrl);
		if (v->type != DROVER_VALUE_STRING || !v->u.string.ptr[0])
			return drover_err_set(err, -EINVAL,
			                      "config \"cgroup_v1_override\".\"%s\" must be a non-empty "
			                      "string path",
			                      ctrl);
		if (mount_of(root, 1, ctrl, mp, sizeof(mp)) < 0)
			return drover_err_set(err, -ENOENT,
			                      "config \"cgroup_v1_override\": the cgroup controller "
			                      "\"%s\" is not mounted on this host",
			                      ctrl);
		if (join_path(path, sizeof(path), mp, v->u.string.ptr) < 0)
			return drover_err_set(err, -ENAMETOOLONG,
			                      "config \"cgroup_v1_override\".\"%s\" is too long", ctrl);
		if ((r = dir_add(cg, ctrl, path, err)) < 0)
			return r;
	}
	return 0;
}

int plugin_cgroup_plan(plugin_cgroup *cg, const char *alloc_id, const char *task_name,
                        const drover_value *v1_override, const char *v2_override,
                        drover_err *err)
{
	const char *root = getenv(PLUGIN_CGROUP_ROOT_ENV);
	char mp[DROVER_PATH_MAX], path[DROVER_PATH_MAX];
	int r = 0, i;

	memset(cg, 0, sizeof(*cg));
	if (root && !root[0])
		root = NULL;
	cg->version = detect_version(root);
	if (cg->version == 0)
		return 0;

	if (cg->version == 2 && v2_override && v2_override[0]) {
		if (mount_of(root, 2, NULL, mp, sizeof(mp)) < 0 ||
		    join_path(path, sizeof(path), mp, v2_override) < 0)
			r = drover_err_set(err, -ENAMETOOLONG,
			                   "config \"cgroup_v2_override\" \"%s\" is too long",
			                   v2_override);
		else
			r = dir_add(cg, "", path, err);
		goto out;
	}
	if (cg->version == 1 && v1_override && v1_override->type == DROVER_VALUE_OBJECT &&
	    v1_override->u.object.count > 0) {
		r = plan_v1_override(cg, root, v1_override, err);
		goto out;
	}

	if (!valid_name_part(alloc_id) || !valid_name_part(task_name))
		return drover_err_set(err, -EINVAL,
		                      "the allocation id \"%s\" and task name \"%s\" cannot name a "
		                      "cgroup: they must be non-empty and hold no \"/\" or \":\"",
		                      alloc_id ? alloc_id : "", task_name ? task_name : "");
	cg->managed = 1;
	if (cg->version == 2) {
		if (mount_of(root, 2, NULL, mp, sizeof(mp)) < 0) {
			plugin_cgroup_free(cg);
			return drover_err_set(err, -ENOENT, "the cgroup v2 hierarchy is not mounted");
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/" V2_PARENT "/%s.%s.scope", mp, alloc_id,
		                     task_name) >= sizeof(path))
			return drover_err_set(err, -ENAMETOOLONG, "the cgroup path under \"%s\" is too long",
			                      mp);
		r = dir_add(cg, "", path, err);
		goto out;
	}
	for (i = 0; v1_controllers[i]; i++) {
		if (mount_of(root, 1, v1_controllers[i], mp, sizeof(mp)) < 0)
			continue;
		/* cpu and cpuacct are often one hierarchy (cpu,cpuacct): it is then
		 * listed twice, which joining and removing take in their stride. */
		if ((size_t)snprintf(path, sizeof(path), "%s/" V1_PARENT "/%s.%s", mp, alloc_id,
		                     task_name) >= sizeof(path)) {
			r = drover_err_set(err, -ENAMETOOLONG, "the cgroup path under \"%s\" is too long",
			                   mp);
			break;
		}
		if ((r = dir_add(cg, v1_controllers[i], path, err)) < 0)
			break;
	}
	if (r == 0 && cg->n == 0)
		cg->version = 0; /* v1 without any controller we use */
out:
	if (r < 0)
		plugin_cgroup_free(cg);
	return r;
}

int plugin_cgroup_plan_devices(plugin_cgroup *cg, drover_err *err)
{
	const char *root = getenv(PLUGIN_CGROUP_ROOT_ENV);
	char mp[DROVER_PATH_MAX], path[DROVER_PATH_MAX];
	const char *name;

	if (root && !root[0])
		root = NULL;
	if (!cg->managed || cg->version == 0 || cg->n == 0)
		return 0;
	if (cg->version == 2) {
		cg->devices = 1;
		return 0;
	}
	if (mount_of(root, 1, "devices", mp, sizeof(mp)) < 0)
		return 0; /* the seccomp filter of drover-exec-init still refuses mknod */
	/* The same <alloc_id>.<task> as the other controllers' directories. */
	name = strrchr(cg->dirs[0].path, '/');
	if (!name || (size_t)snprintf(path, sizeof(path), "%s/" V1_PARENT "%s", mp, name) >=
	                     sizeof(path))
		return drover_err_set(err, -ENAMETOOLONG, "the cgroup path under \"%s\" is too long",
		                      mp);
	cg->devices = 1;
	return dir_add(cg, "devices", path, err);
}

static int apply_devices(const plugin_cgroup *cg, drover_err *err)
{
	size_t i;

	if (!cg->devices)
		return 0;
	if (cg->version == 2)
		return plugin_devices_v2_attach(cg->dirs[0].path, err);
	for (i = 0; i < cg->n; i++)
		if (strcmp(cg->dirs[i].controller, "devices") == 0)
			return plugin_devices_v1_apply(cg->dirs[i].path, err);
	return 0;
}

static int mkdir_one(const char *path, drover_err *err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return drover_err_set(err, -errno, "cannot create the cgroup \"%s\": %s", path,
		                      strerror(errno));
	return 0;
}

/* The parent (drover/, drover.slice/) exists after the first task: try the
 * directory itself first, so that a start costs one mkdir per controller. */
static int mkdir_parent_and(const char *path, drover_err *err)
{
	char parent[DROVER_PATH_MAX];
	char *slash;
	int r;

	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return drover_err_set(err, -errno, "cannot create the cgroup \"%s\": %s", path,
		                      strerror(errno));
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if ((r = mkdir_one(parent, err)) < 0)
			return r;
	}
	return mkdir_one(path, err);
}

static int set_limit(const char *dir, const char *file, const char *value, drover_err *err)
{
	int r = write_file(dir, file, value);
	if (r < 0)
		return drover_err_set(err, r, "cannot set %s to %s in the cgroup \"%s\": %s", file,
		                      value, dir, strerror(-r));
	return 0;
}

static int limits_v1(const plugin_cgroup *cg, long long cpu, long long soft, long long hard,
                     long long pids, drover_err *err)
{
	char num[32];
	size_t i;
	int r;

	for (i = 0; i < cg->n; i++) {
		const char *d = cg->dirs[i].path;
		if (strcmp(cg->dirs[i].controller, "memory") == 0 && hard > 0) {
			snprintf(num, sizeof(num), "%lld", hard);
			if ((r = set_limit(d, "memory.limit_in_bytes", num, err)) < 0)
				return r;
			/* No swap beyond the limit (as Nomad): the limit is on RAM + swap.
			 * Absent without swap accounting: ignored. */
			write_file(d, "memory.memsw.limit_in_bytes", num);
			if (soft > 0) {
				snprintf(num, sizeof(num), "%lld", soft);
				if ((r = set_limit(d, "memory.soft_limit_in_bytes", num, err)) < 0)
					return r;
			}
		}
		if (strcmp(cg->dirs[i].controller, "pids") == 0 && pids > 0) {
			snprintf(num, sizeof(num), "%lld", pids);
			if ((r = set_limit(d, "pids.max", num, err)) < 0)
				return r;
		}
		if (strcmp(cg->dirs[i].controller, "cpu") == 0 && cpu > 0) {
			snprintf(num, sizeof(num), "%lld", cpu < 2 ? 2 : cpu);
			if ((r = set_limit(d, "cpu.shares", num, err)) < 0)
				return r;
		}
	}
	return 0;
}

static int limits_v2(const plugin_cgroup *cg, long long cpu, long long soft, long long hard,
                     long long pids, drover_err *err)
{
	const char *d = cg->dirs[0].path;
	char num[32];
	int r;

	if (hard > 0) {
		snprintf(num, sizeof(num), "%lld", hard);
		if ((r = set_limit(d, "memory.max", num, err)) < 0)
			return r;
		write_file(d, "memory.swap.max", "0"); /* absent without swap: ignored */
		if (soft > 0) {
			snprintf(num, sizeof(num), "%lld", soft);
			if ((r = set_limit(d, "memory.low", num, err)) < 0)
				return r;
		}
	}
	if (pids > 0) {
		snprintf(num, sizeof(num), "%lld", pids);
		if ((r = set_limit(d, "pids.max", num, err)) < 0)
			return r;
	}
	if (cpu > 0) {
		/* cpu.shares (2..262144) to cpu.weight (1..10000), runc's formula. */
		long long shares = cpu < 2 ? 2 : (cpu > 262144 ? 262144 : cpu);
		snprintf(num, sizeof(num), "%lld", 1 + ((shares - 2) * 9999) / 262142);
		if ((r = set_limit(d, "cpu.weight", num, err)) < 0)
			return r;
	}
	return 0;
}

int plugin_cgroup_create(plugin_cgroup *cg, long long cpu_mhz, long long memory_mb,
                         long long memory_max_mb, long long pids_max, drover_err *err)
{
	long long mb = memory_max_mb > 0 ? memory_max_mb : memory_mb;
	long long hard, soft;
	size_t i;
	int r;

	if (cg->version == 0)
		return 0;
	if (memory_mb < 0 || memory_max_mb < 0 || cpu_mhz < 0 || mb > (1LL << 40) ||
	    memory_mb > (1LL << 40))
		return drover_err_set(err, -EINVAL,
		                      "Resources: CPU %lld, MemoryMB %lld, MemoryMaxMB %lld are out of "
		                      "range",
		                      cpu_mhz, memory_mb, memory_max_mb);
	if (memory_max_mb > 0 && memory_max_mb < memory_mb)
		return drover_err_set(err, -EINVAL,
		                      "Resources.MemoryMaxMB %lld is below MemoryMB %lld: the hard "
		                      "limit must be at least the reservation",
		                      memory_max_mb, memory_mb);
	/* As Nomad's executor: MemoryMB is a reservation (soft limit) only when
	 * MemoryMaxMB raises the hard limit above it; alone it is the hard limit
	 * and no soft one is set. */
	hard = mb * 1024 * 1024;
	soft = memory_max_mb > 0 ? memory_mb * 1024 * 1024 : 0;

	if (!cg->managed) {
		for (i = 0; i < cg->n; i++)
			if (!is_dir(cg->dirs[i].path))
				return drover_err_set(err, -ENOENT,
				                      "config \"%s\": the cgroup \"%s\" does not exist: "
				                      "create it first",
				                      cg->version == 2 ? "cgroup_v2_override"
				                                       : "cgroup_v1_override",
				                      cg->dirs[i].path);
		return 0;
	}
	if (cg->version == 2) {
		char parent[DROVER_PATH_MAX], root[DROVER_PATH_MAX], *slash;
		snprintf(parent, sizeof(parent), "%s", cg->dirs[0].path);
		slash = strrchr(parent, '/');
		if (slash)
			*slash = '\0';
		snprintf(root, sizeof(root), "%s", parent);
		slash = strrchr(root, '/');
		if (slash)
			*slash = '\0';
		/* Controllers must be enabled from the root down; each may be
		 * missing or busy, which the limit writes below then report. */
		write_file(root, "cgroup.subtree_control", "+memory");
		write_file(root, "cgroup.subtree_control", "+cpu");
		write_file(root, "cgroup.subtree_control", "+pids");
		if ((r = mkdir_one(parent, err)) < 0)
			return r;
		write_file(parent, "cgroup.subtree_control", "+memory");
		write_file(parent, "cgroup.subtree_control", "+cpu");
		write_file(parent, "cgroup.subtree_control", "+pids");
	}
	for (i = 0; i < cg->n; i++)
		if ((r = mkdir_parent_and(cg->dirs[i].path, err)) < 0)
			goto fail;
	r = cg->version == 2 ? limits_v2(cg, cpu_mhz, soft, hard, pids_max, err)
	                     : limits_v1(cg, cpu_mhz, soft, hard, pids_max, err);
	if (r == 0)
		r = apply_devices(cg, err);
	if (r == 0)
		return 0;
fail:
	plugin_cgroup_remove(cg, NULL);
	return r;
}

char *plugin_cgroup_join_list(const plugin_cgroup *cg, int *rc)
{
	size_t len = 1, i;
	char *s;

	*rc = 0;
	if (cg->version == 0 || cg->n == 0)
		return NULL;
	for (i = 0; i < cg->n; i++)
		len += strlen(cg->dirs[i].path) + 1;
	s = calloc(1, len);
	if (!s) {
		*rc = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < cg->n; i++) {
		if (i)
			strcat(s, ":");
		strcat(s, cg->dirs[i].path);
	}
	return s;
}

/* SIGKILL to every pid in <dir>/cgroup.procs; the number of pids found. */
static int kill_members(const char *dir)
{
	char path[DROVER_PATH_MAX];
	FILE *f;
	int pid, n = 0;

	if (path_join2(path, sizeof(path), dir, "cgroup.procs") < 0)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &pid) == 1) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			n++;
		}
	}
	fclose(f);
	return n;
}

static int populated(const plugin_cgroup *cg)
{
	char buf[64];
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (read_file(cg->dirs[i].path, "cgroup.procs", buf, sizeof(buf)) == 0 && buf[0])
			return 1;
	return 0;
}

static const char *freezer_dir(const plugin_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (cg->version == 1 && strcmp(cg->dirs[i].controller, "freezer") == 0)
			return cg->dirs[i].path;
	return NULL;
}

/* Freezes (v1 freezer.state, v2 cgroup.freeze) so that nothing forks while it
 * is killed; 1 when frozen. */
static int freeze(const plugin_cgroup *cg, int on)
{
	const char *fz = freezer_dir(cg);
	long long deadline = mono_ms() + FREEZE_DEADLINE_MS;
	char buf[64];

	if (cg->version == 2) {
		if (write_file(cg->dirs[0].path, "cgroup.freeze", on ? "1" : "0") < 0)
			return 0;
		while (on && mono_ms() < deadline) {
			unsigned long long frozen = 0;
			if (read_keyed(cg->dirs[0].path, "cgroup.events", "frozen", &frozen) < 0 ||
			    frozen)
				break;
			sleep_ms(1);
		}
		return on;
	}
	if (!fz || write_file(fz, "freezer.state", on ? "FROZEN" : "THAWED") < 0)
		return 0;
	/* FREEZING until every task stopped: the kernel offers no event for it. */
	while (on && mono_ms() < deadline) {
		if (read_file(fz, "freezer.state", buf, sizeof(buf)) < 0 ||
		    strncmp(buf, "FROZEN", 6) == 0)
			break;
		sleep_ms(1);
	}
	return on;
}

int plugin_cgroup_kill(const plugin_cgroup *cg, long long timeout_ms, drover_err *err)
{
	long long deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	size_t i;
	int frozen;

	if (cg->version == 0 || cg->n == 0 || !is_cgroupfs(cg->dirs[0].path))
		return 0;
	/* The usual case after a stop: the shim killed the task's process group
	 * and nothing escaped. An empty cgroup gains no member but by a write of
	 * root's, so freezing, killing and thawing it is work for nothing (on v1
	 * five writes and five reads per task: a third of stopping 1000). */
	if (!populated(cg))
		return 0;
	if (cg->version == 2 && write_file(cg->dirs[0].path, "cgroup.kill", "1") == 0)
		goto wait;
	frozen = freeze(cg, 1);
	for (i = 0; i < cg->n; i++)
		kill_members(cg->dirs[i].path);
	/* A frozen task dies of SIGKILL only once thawed. */
	if (frozen)
		freeze(cg, 0);
wait:
	/* Emptying is asynchronous and v1 has no event for it. */
	while (populated(cg)) {
		if (mono_ms() >= deadline)
			return drover_err_set(err, -ETIMEDOUT,
			                      "processes are left in the cgroup \"%s\" %lld ms after "
			                      "SIGKILL",
			                      cg->dirs[0].path, timeout_ms);
		for (i = 0; i < cg->n; i++)
			kill_members(cg->dirs[i].path);
		sleep_ms(2);
	}
	return 0;
}

static unsigned long long count_procs(const char *dir)
{
	char buf[65536];
	unsigned long long n = 0;
	const char *p;

	if (read_file(dir, "cgroup.procs", buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; *p; p++)
		if (*p == '\n')
			n++;
	return n;
}

static const char *dir_of(const plugin_cgroup *cg, const char *controller)
{
	size_t i;

	if (cg->version == 2)
		return cg->dirs[0].path;
	for (i = 0; i < cg->n; i++)
		if (strcmp(cg->dirs[i].controller, controller) == 0)
			return cg->dirs[i].path;
	return NULL;
}

int plugin_cgroup_stats(const plugin_cgroup *cg, drover_task_stats *s, drover_err *err)
{
	const char *mem = dir_of(cg, "memory"), *acct = dir_of(cg, "cpuacct");
	unsigned long long v = 0;

	if (cg->version == 0 || !mem)
		return drover_err_set(err, -ENOENT, "the task has no memory cgroup");
	if (cg->version == 2) {
		if (read_u64(mem, "memory.current", &s->memory_usage_bytes) < 0)
			return drover_err_set(err, -ENOENT, "no memory.current in \"%s\"", mem);
		if (read_u64(mem, "memory.peak", &s->memory_max_usage_bytes) < 0)
			s->memory_max_usage_bytes = 0;
		if (read_keyed(mem, "memory.stat", "anon", &v) == 0)
			s->memory_rss_bytes = v;
		if (read_keyed(mem, "cpu.stat", "user_usec", &v) == 0)
			s->cpu_user_ns = v * 1000;
		if (read_keyed(mem, "cpu.stat", "system_usec", &v) == 0)
			s->cpu_system_ns = v * 1000;
		s->pids = count_procs(mem);
		return 0;
	}
	if (read_u64(mem, "memory.usage_in_bytes", &s->memory_usage_bytes) < 0)
		return drover_err_set(err, -ENOENT, "no memory.usage_in_bytes in \"%s\"", mem);
	read_u64(mem, "memory.max_usage_in_bytes", &s->memory_max_usage_bytes);
	if (read_keyed(mem, "memory.stat", "total_rss", &v) == 0 ||
	    read_keyed(mem, "memory.stat", "rss", &v) == 0)
		s->memory_rss_bytes = v;
	if (acct) {
		if (read_u64(acct, "cpuacct.usage_user", &v) == 0)
			s->cpu_user_ns = v;
		if (read_u64(acct, "cpuacct.usage_sys", &v) == 0)
			s->cpu_system_ns = v;
	}
	s->pids = count_procs(mem);
	return 0;
}

/* A mountinfo line is "id parent major:minor root mount-point options
 * [optional fields...] - fstype source super-options"; favordynmods is a
 * super option of a cgroup or cgroup2 file system. */
static int mountinfo_line_favors(const char *line)
{
	const char *sep = strstr(line, " - "), *p;
	char fstype[16];
	size_t len;

	if (!sep)
		return -1;
	p = sep + 3;
	len = strcspn(p, " ");
	if (len == 0 || len >= sizeof(fstype))
		return -1;
	memcpy(fstype, p, len);
	fstype[len] = '\0';
	if (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0)
		return -1;
	p += len;
	p += strspn(p, " ");
	p += strcspn(p, " "); /* the source */
	p += strspn(p, " ");
	for (;;) {
		len = strcspn(p, ",\n");
		if (len == sizeof("favordynmods") - 1 && strncmp(p, "favordynmods", len) == 0)
			return 1;
		if (p[len] != ',')
			return 0;
		p += len + 1;
	}
}

int plugin_cgroup_favordynmods(void)
{
	char line[4096];
	int found = -1, r;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n')) {
			/* Longer than any cgroup mount's line: skip the rest of it. */
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		r = mountinfo_line_favors(line);
		if (r > found)
			found = r;
		if (found == 1)
			break;
	}
	fclose(f);
	return found;
}

int plugin_cgroup_remove(plugin_cgroup *cg, drover_err *err)
{
	size_t i;
	int r = 0;

	if (cg->version == 0 || !cg->managed)
		return 0;
	for (i = 0; i < cg->n; i++) {
		if (rmdir(cg->dirs[i].path) < 0 && errno != ENOENT && r == 0)
			r = drover_err_set(err, -errno, "cannot remove the cgroup \"%s\": %s",
			                   cg->dirs[i].path, strerror(errno));
	}
	return r;
}

void plugin_cgroup_free(plugin_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		free(cg->dirs[i].path);
	memset(cg, 0, sizeof(*cg));
}

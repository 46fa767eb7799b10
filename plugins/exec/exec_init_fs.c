/* The task's root, built in the task directory: nothing is copied, every host
 * directory of chroot_env is bind-mounted read-only, so building it costs a few
 * mount calls and a few empty directories on disk.
 *
 * Every mount target is reached by walking the path one component at a time
 * from the root with O_NOFOLLOW: the task directory is the task's own from its
 * previous runs, and a symlink it left there must not send a mount out of it.
 * Binds are made with open_tree + mount_setattr + move_mount, so a read-only
 * bind is read-only from the moment it appears, recursively. */
#include "exec_init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Opens (creating when missing) the directory or, with `file`, the regular
 * file `rel` beneath the directory `dirfd` without following any symlink. An
 * O_PATH descriptor. */
static int open_beneath(int dirfd, const char *rel, int file)
{
	char buf[4096], *p, *next;
	int fd, nfd;

	if (strlen(rel) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", rel);
	fd = dup(dirfd);
	if (fd < 0)
		return -1;
	for (p = buf; p; p = next) {
		int last;
		while (*p == '/')
			p++;
		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		while (next && *next == '/')
			next++;
		last = !next || !*next;
		if (!*p) {
			if (last)
				break;
			continue;
		}
		if (strcmp(p, "..") == 0 || strcmp(p, ".") == 0) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		if (last && file) {
			nfd = openat(fd, p, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (nfd >= 0)
				close(nfd);
			else if (errno != EISDIR && errno != ETXTBSY && errno != EROFS &&
			         errno != EACCES) {
				close(fd);
				return -1;
			}
			nfd = openat(fd, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		} else {
			if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
				close(fd);
				return -1;
			}
			nfd = openat(fd, p, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		}
		close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
		if (last)
			break;
	}
	return fd;
}

static int target(int rootfd, const char *rel, int file)
{
	int fd = open_beneath(rootfd, rel, file);
	if (fd < 0)
		exec_init_die(errno, "cannot create the mount point \"%s\" in the task's root "
		              "(a symlink or a file of another type is in the way?)", rel);
	return fd;
}

/* Attaches a recursive copy of `src_dfd`/`src` onto `to_fd` with `attrs`. */
static void bind_onto(int src_dfd, const char *src, int to_fd, unsigned long long attrs,
                      const char *what)
{
	struct mount_attr a;
	int tree = open_tree(src_dfd, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
	                                       (src[0] ? 0 : AT_EMPTY_PATH));

	if (tree < 0)
		exec_init_die(errno, "cannot bind \"%s\" into the task's root", what);
	memset(&a, 0, sizeof(a));
	a.attr_set = attrs;
	if (attrs && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		exec_init_die(errno, "cannot make the bind of \"%s\" read-only", what);
	if (move_mount(tree, "", to_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		exec_init_die(errno, "cannot attach the bind of \"%s\" in the task's root", what);
	close(tree);
}

static void mount_at(int fd, const char *fstype, unsigned long flags, const char *data,
                     const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mount(fstype, path, fstype, flags, data) < 0)
		exec_init_die(errno, "cannot mount %s on %s in the task's root", fstype, what);
}

#define RO (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

static void build_proc(int rootfd)
{
	/* As runc's defaults: what leaks the host's kernel state is hidden, what
	 * configures the host's kernel is read-only. */
	static const char *const masked_files[] = { "kcore", "keys", "latency_stats",
		                                    "timer_list", "timer_stats", "sched_debug",
		                                    "sysrq-trigger", NULL };
	static const char *const masked_dirs[] = { "acpi", "scsi", NULL };
	static const char *const readonly[] = { "sys", "irq", "bus", "fs", NULL };
	int fd = target(rootfd, "proc", 0), procfd, i;

	mount_at(fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "/proc");
	close(fd);
	procfd = openat(rootfd, "proc", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		exec_init_die(errno, "cannot open the task's /proc");
	for (i = 0; readonly[i]; i++) {
		int t = openat(procfd, readonly[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0)
			continue; /* not in this kernel */
		bind_onto(procfd, readonly[i], t, RO | MOUNT_ATTR_NOEXEC, readonly[i]);
		close(t);
	}
	for (i = 0; masked_files[i]; i++) {
		int t = openat(procfd, masked_files[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0)
			continue;
		bind_onto(AT_FDCWD, "/dev/null", t, RO, "/dev/null");
		close(t);
	}
	for (i = 0; masked_dirs[i]; i++) {
		int t = openat(procfd, masked_dirs[i], O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (t < 0)
			continue;
		mount_at(t, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0",
		         masked_dirs[i]);
		close(t);
	}
	close(procfd);
}

static void build_dev(int rootfd)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty",
		                             NULL };
	int fd = target(rootfd, "dev", 0), devfd, i;
	char host[64];

	mount_at(fd, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", "/dev");
	close(fd);
	devfd = openat(rootfd, "dev", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	if (devfd < 0)
		exec_init_die(errno, "cannot open the task's /dev");
	for (i = 0; nodes[i]; i++) {
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		fd = target(devfd, nodes[i], 1);
		bind_onto(AT_FDCWD, host, fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, host);
		close(fd);
	}
	fd = target(devfd, "pts", 0);
	mount_at(fd, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
	         "/dev/pts");
	close(fd);
	fd = target(devfd, "shm", 0);
	mount_at(fd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
	         "/dev/shm");
	close(fd);
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0 || symlinkat("/proc/self/fd", devfd, "fd") < 0 ||
	    symlinkat("/proc/self/fd/0", devfd, "stdin") < 0 ||
	    symlinkat("/proc/self/fd/1", devfd, "stdout") < 0 ||
	    symlinkat("/proc/self/fd/2", devfd, "stderr") < 0)
		exec_init_die(errno, "cannot create the links of the task's /dev");
	close(devfd);
}

/* A read-only sysfs, as Nomad's exec driver (libcontainer) mounts one. Where
 * a fresh sysfs may not be mounted (a network namespace this helper does not
 * own, under some container runtimes), the host's /sys read-only instead. */
static void build_sys(int rootfd)
{
	char path[64];
	int fd = target(rootfd, "sys", 0);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mount("sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		if (errno != EPERM && errno != EACCES)
			exec_init_die(errno, "cannot mount sysfs on sys/ in the task's root");
		bind_onto(AT_FDCWD, "/sys", fd, RO | MOUNT_ATTR_NOEXEC, "/sys");
	}
	close(fd);
}

static void build_alloc(const exec_init_opts *o, int rootfd)
{
	char path[4096];
	int fd, logs;

	snprintf(path, sizeof(path), "%s/alloc", o->alloc);
	fd = target(rootfd, "alloc", 0);
	bind_onto(AT_FDCWD, path, fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, path);
	close(fd);
	/* The shim writes the logs; the task only reads them. */
	logs = open_beneath(rootfd, "alloc/logs", 0);
	if (logs < 0)
		exec_init_die(errno, "cannot find alloc/logs in the task's root");
	snprintf(path, sizeof(path), "%s/alloc/logs", o->alloc);
	bind_onto(AT_FDCWD, path, logs, RO | MOUNT_ATTR_NOEXEC, path);
	close(logs);
}

static void enter_root(const exec_init_opts *o)
{
	if (chdir(o->root) < 0)
		exec_init_die(errno, "cannot enter the task's root \"%s\"", o->root);
	if (o->no_pivot_root) {
		/* For roots on a ramdisk, where pivot_root is not possible (as runc). */
		if (mount(o->root, "/", NULL, MS_MOVE, NULL) < 0)
			exec_init_die(errno, "cannot move the task's root onto /");
		if (chroot(".") < 0)
			exec_init_die(errno, "cannot chroot into the task's root");
	} else {
		/* pivot_root(".", "."): the old root ends up stacked under the new
		 * one and is detached at once, so nothing of the host stays
		 * reachable, not even through a mount table walk. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			exec_init_die(errno, "cannot pivot_root into the task's root");
		if (umount2(".", MNT_DETACH) < 0)
			exec_init_die(errno, "cannot detach the host's root");
	}
	if (chdir("/") < 0)
		exec_init_die(errno, "cannot change to / in the task's root");
}

void exec_init_fs_build(const exec_init_opts *o)
{
	struct mount_attr a;
	char opts[128];
	size_t i;
	int rootfd, fd;

	/* Nothing we mount may reach the host's namespace, and nothing the host
	 * mounts later appears in the task. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		exec_init_die(errno, "cannot make the mounts private");
	exec_netns_drop_pins();
	if (mount(o->root, o->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		exec_init_die(errno, "cannot bind the task directory \"%s\" onto itself", o->root);
	rootfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		exec_init_die(errno, "cannot open the task directory \"%s\"", o->root);
	/* The task writes its root (local/, tmp/) but nothing there is a device
	 * or a set-uid program. */
	memset(&a, 0, sizeof(a));
	a.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	if (mount_setattr(rootfd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		exec_init_die(errno, "cannot set nosuid,nodev on the task directory");

	for (i = 0; i < o->nbinds; i++) {
		struct stat st;
		if (stat(o->binds[i].src, &st) < 0)
			exec_init_die(errno, "chroot_env: cannot bind \"%s\"", o->binds[i].src);
		fd = target(rootfd, o->binds[i].dst, !S_ISDIR(st.st_mode));
		bind_onto(AT_FDCWD, o->binds[i].src, fd, RO, o->binds[i].src);
		close(fd);
	}
	build_alloc(o, rootfd);
	close(target(rootfd, "local", 0));
	close(target(rootfd, "tmp", 0));
	fd = target(rootfd, "secrets", 0);
	snprintf(opts, sizeof(opts), "mode=0700,uid=%u,gid=%u,size=1m", (unsigned)o->uid,
	         (unsigned)o->gid);
	mount_at(fd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts, "secrets/");
	close(fd);
	/* Host volumes last, so that one may sit under local/ or alloc/. The
	 * destination is the job's: target() walks it from the root one
	 * component at a time without following a symlink or "..". */
	for (i = 0; i < o->nvolumes; i++) {
		struct stat st;
		if (stat(o->volumes[i].src, &st) < 0)
			exec_init_die(errno, "host volume: cannot bind \"%s\"", o->volumes[i].src);
		fd = target(rootfd, o->volumes[i].dst, !S_ISDIR(st.st_mode));
		bind_onto(AT_FDCWD, o->volumes[i].src, fd,
		          o->volumes[i].read_only ? RO : MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		          o->volumes[i].src);
		close(fd);
	}
	/* After the volumes, as Nomad appends its resolv.conf mount last. */
	exec_init_dns_bind(o, rootfd);
	build_proc(rootfd);
	build_dev(rootfd);
	build_sys(rootfd);
	close(rootfd);
	enter_root(o);
}

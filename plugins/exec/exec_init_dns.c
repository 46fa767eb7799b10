/* drover-exec-init: the group network's resolv.conf and host name (see
 * exec_dns.h for the plugin's half).
 *
 * The resolv.conf (written by the plugin in the task's root-only state
 * directory) is bound read-only over etc/resolv.conf of the task's root.
 * That name is reached from the root one component at a time with
 * O_NOFOLLOW: etc/ is usually the host's /etc bound read-only by chroot_env,
 * but without it etc/ is in the task directory, which the task owns between
 * two runs. Whatever sits at etc/resolv.conf (a file, or a symlink such as
 * the host's /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf) is
 * covered by the mount itself, never followed and never written. */
#include "exec_init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

void exec_init_dns_uts(const exec_init_opts *o)
{
	if (!o->hostname)
		return;
	if (unshare(CLONE_NEWUTS) < 0)
		exec_init_die(errno, "cannot create the task's UTS namespace");
	if (sethostname(o->hostname, strlen(o->hostname)) < 0)
		exec_init_die(errno, "cannot set the task's host name to \"%s\"", o->hostname);
}

void exec_init_dns_join_uts(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		exec_init_die(errno, "cannot open %s (has the task exited?)", path);
	if (setns(fd, CLONE_NEWUTS) < 0)
		exec_init_die(errno, "cannot enter the task's uts namespace");
	close(fd);
}

/* etc/ beneath the root, made when the root has none (no /etc in
 * chroot_env), never through a symlink. */
static int open_etc(int rootfd)
{
	int fd = openat(rootfd, "etc", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(rootfd, "etc", 0755) < 0 && errno != EEXIST)
			exec_init_die(errno, "cannot create etc/ in the task's root for resolv.conf");
		fd = openat(rootfd, "etc", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		exec_init_die(errno, "cannot open etc/ in the task's root for resolv.conf (a "
		              "symlink or a file is in the way?)");
	return fd;
}

/* What the mount covers: the file or symlink at etc/resolv.conf, or a new
 * empty file when there is none and etc/ can be written. */
static int open_target(int etcfd)
{
	struct stat st;
	int fd = openat(etcfd, "resolv.conf", O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		int nfd = openat(etcfd, "resolv.conf",
		                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (nfd < 0)
			exec_init_die(errno, "the task's /etc has no resolv.conf and one cannot be "
			              "created there (client.chroot_env binds a read-only /etc "
			              "without it?)");
		close(nfd);
		fd = openat(etcfd, "resolv.conf", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		exec_init_die(errno, "cannot open /etc/resolv.conf in the task's root");
	if (fstat(fd, &st) < 0)
		exec_init_die(errno, "cannot stat /etc/resolv.conf in the task's root");
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		exec_init_die(EINVAL, "/etc/resolv.conf in the task's root is neither a file nor "
		              "a symlink");
	return fd;
}

void exec_init_dns_bind(const exec_init_opts *o, int rootfd)
{
	struct mount_attr a;
	struct stat st;
	int src, tree, etcfd, to;

	if (!o->resolv_conf)
		return;
	/* The plugin's file: a regular file of root's, not a link to one. */
	src = open(o->resolv_conf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		exec_init_die(errno, "cannot open the task's resolv.conf \"%s\"", o->resolv_conf);
	if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		exec_init_die(EPERM, "\"%s\" is not a regular file of drover's", o->resolv_conf);
	tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		exec_init_die(errno, "cannot bind \"%s\" into the task's root", o->resolv_conf);
	close(src);
	memset(&a, 0, sizeof(a));
	a.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		exec_init_die(errno, "cannot make the bind of \"%s\" read-only", o->resolv_conf);
	etcfd = open_etc(rootfd);
	to = open_target(etcfd);
	if (move_mount(tree, "", to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		exec_init_die(errno, "cannot bind \"%s\" at /etc/resolv.conf in the task's root",
		              o->resolv_conf);
	close(to);
	close(etcfd);
	close(tree);
}

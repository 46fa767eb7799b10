/* drover-exec-init: the group network's resolv.conf, hosts file and host
 * name (see exec_dns.h for the plugin's half).
 *
 * The resolv.conf and the hosts file (written by the plugin in the task's
 * root-only state directory) are bound read-only over etc/resolv.conf and
 * etc/hosts of the task's root. Those names are reached from the root one
 * component at a time with O_NOFOLLOW: etc/ is usually the host's /etc bound
 * read-only by chroot_env, but without it etc/ is in the task directory,
 * which the task owns between two runs. Whatever sits at the name (a file,
 * or a symlink such as the host's /etc/resolv.conf ->
 * ../run/systemd/resolve/stub-resolv.conf, or one the task planted) is
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
static int open_etc(int rootfd, const char *name)
{
	int fd = openat(rootfd, "etc", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(rootfd, "etc", 0755) < 0 && errno != EEXIST)
			exec_init_die(errno, "cannot create etc/ in the task's root for %s", name);
		fd = openat(rootfd, "etc", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		exec_init_die(errno, "cannot open etc/ in the task's root for %s (a symlink or a "
		              "file is in the way?)", name);
	return fd;
}

/* What the mount covers: the file or symlink at etc/<name>, or a new empty
 * file when there is none and etc/ can be written. */
static int open_target(int etcfd, const char *name)
{
	struct stat st;
	int fd = openat(etcfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		int nfd = openat(etcfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		                 0644);
		if (nfd < 0)
			exec_init_die(errno, "the task's /etc has no %s and one cannot be created "
			              "there (client.chroot_env binds a read-only /etc without it?)",
			              name);
		close(nfd);
		fd = openat(etcfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		exec_init_die(errno, "cannot open /etc/%s in the task's root", name);
	if (fstat(fd, &st) < 0)
		exec_init_die(errno, "cannot stat /etc/%s in the task's root", name);
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		exec_init_die(EINVAL, "/etc/%s in the task's root is neither a file nor a symlink",
		              name);
	return fd;
}

/* Binds the plugin's file `src` read-only over etc/<name> of the root. */
static void bind_etc_file(const char *src_path, const char *name, int rootfd)
{
	struct mount_attr a;
	struct stat st;
	int src, tree, etcfd, to;

	/* The plugin's file: a regular file of root's, not a link to one. */
	src = open(src_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		exec_init_die(errno, "cannot open the task's %s \"%s\"", name, src_path);
	if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		exec_init_die(EPERM, "\"%s\" is not a regular file of drover's", src_path);
	tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		exec_init_die(errno, "cannot bind \"%s\" into the task's root", src_path);
	close(src);
	memset(&a, 0, sizeof(a));
	a.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		exec_init_die(errno, "cannot make the bind of \"%s\" read-only", src_path);
	etcfd = open_etc(rootfd, name);
	to = open_target(etcfd, name);
	if (move_mount(tree, "", to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		exec_init_die(errno, "cannot bind \"%s\" at /etc/%s in the task's root", src_path,
		              name);
	close(to);
	close(etcfd);
	close(tree);
}

void exec_init_dns_bind(const exec_init_opts *o, int rootfd)
{
	if (o->resolv_conf)
		bind_etc_file(o->resolv_conf, "resolv.conf", rootfd);
	if (o->hosts)
		bind_etc_file(o->hosts, "hosts", rootfd);
}

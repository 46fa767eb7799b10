#include "config.h"

#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int drover_netns_path(const char *name, char *out, size_t len, drover_err *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                      "0123456789._-") != n ||
	    name[0] == '.')
		return drover_err_set(err, -EINVAL, "\"%.80s\" cannot name a network namespace",
		                      name ? name : "");
	if ((size_t)snprintf(out, len, "%s/%s", DROVER_NETNS_DIR, name) >= len)
		return drover_err_set(err, -ENAMETOOLONG, "network namespace path too long");
	return 0;
}

/* /run/netns as iproute2 makes it: a directory that is a shared mount point,
 * so that a namespace unpinned here is unpinned in every mount namespace
 * that copied the pin (a task's, made while it was there). Serialized by a
 * lock on the directory: two processes would otherwise stack two binds. */
static int prepare_dir(drover_err *err)
{
	if (mkdir(DROVER_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return drover_err_set(err, -errno, "cannot create \"%s\": %s", DROVER_NETNS_DIR,
		                      strerror(errno));
	int fd = open(DROVER_NETNS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open \"%s\" (it must be a directory, not a "
		                      "symlink): %s", DROVER_NETNS_DIR, strerror(errno));
	int rc = 0;
	flock(fd, LOCK_EX);
	if (mount("", DROVER_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		/* EINVAL: not a mount point yet; bind it onto itself first. */
		if (errno != EINVAL ||
		    mount(DROVER_NETNS_DIR, DROVER_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
		    mount("", DROVER_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
			rc = drover_err_set(err, -errno, "cannot make \"%s\" a shared mount point: %s",
			                    DROVER_NETNS_DIR, strerror(errno));
	}
	close(fd); /* drops the lock */
	return rc;
}

int drover_netns_create(const char *name, const char *source, drover_err *err)
{
	char path[128];
	int rc = drover_netns_path(name, path, sizeof(path), err);
	if (rc < 0 || (rc = prepare_dir(err)) < 0)
		return rc;
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot create \"%s\": %s", path, strerror(errno));
	close(fd);
	/* A child makes the namespace: unshare(CLONE_NEWNET) here would move
	 * the calling thread of a multi-threaded host. Only system calls run in
	 * it; its exit status is the errno. */
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		unlink(path);
		return drover_err_set(err, rc, "cannot fork: %s", strerror(-rc));
	}
	if (pid == 0) {
		if (!source && unshare(CLONE_NEWNET) < 0)
			_exit(errno & 0xff);
		if (mount(source ? source : "/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			_exit(errno & 0xff);
		_exit(0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int e = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
		unlink(path);
		return drover_err_set(err, -e, "cannot %s network namespace at \"%s\": %s",
		                      source ? "pin the" : "create a", path, strerror(e));
	}
	/* A source that is not a network namespace (a holder that died and
	 * whose pid was reused by something else is still a netns; a wrong
	 * path is not) is refused. */
	if ((rc = drover_netns_exists(name, err)) != 1) {
		drover_err ignored = {{0}};
		drover_netns_destroy(name, &ignored);
		return rc < 0 ? rc
		              : drover_err_set(err, -ENOTTY, "\"%s\" is not a network namespace",
		                               source ? source : path);
	}
	return 0;
}

int drover_netns_exists(const char *name, drover_err *err)
{
	char path[128];
	int rc = drover_netns_path(name, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return drover_err_set(err, -errno, "cannot open \"%s\": %s", path, strerror(errno));
	}
	struct statfs sfs;
	int is_ns = fstatfs(fd, &sfs) == 0 && sfs.f_type == NSFS_MAGIC &&
	            ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
	close(fd);
	/* An empty file: a pin that was never made (a crash in between). */
	return is_ns;
}

int drover_netns_destroy(const char *name, drover_err *err)
{
	char path[128];
	int rc = drover_netns_path(name, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	/* Every pin stacked there goes (at most a few: a crash between two
	 * creates). EINVAL: not a mount point (any more). */
	for (int i = 0; i < 8; i++) {
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			break;
		return drover_err_set(err, -errno, "cannot unmount the network namespace \"%s\": %s",
		                      path, strerror(errno));
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return drover_err_set(err, -errno, "cannot remove \"%s\": %s", path, strerror(errno));
	return 0;
}

/* drover-exec-init: joining the allocation's network namespace (group
 * network mode bridge or none). The host made it and pinned it at a path of
 * its own (/run/netns/<alloc id>); the task enters it before any other
 * namespace is made, so its new mount namespace, its PID namespace and the
 * task itself all live in it. */
#include "exec_init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

void exec_netns_enter(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		exec_init_die(errno, "cannot open the allocation's network namespace %s", path);
	/* CLONE_NEWNET: the kernel refuses a file that is not a network
	 * namespace. */
	if (setns(fd, CLONE_NEWNET) < 0)
		exec_init_die(errno, "cannot enter the allocation's network namespace %s", path);
	close(fd);
}

/* The task's mount namespace is a private copy of the host's, so it also
 * holds a copy of every namespace pinned in /run/netns at the time. With
 * pivot_root the old root, and those copies with it, are detached; with
 * no_pivot_root (chroot) they would stay, and keep another allocation's
 * namespace (and its veth on the bridge) alive after the host removed it,
 * until this task exits. So they go here. Nothing there: nothing to do. */
void exec_netns_drop_pins(void)
{
	umount2("/run/netns", MNT_DETACH);
}

/* The devices an exec task may use, enforced by its cgroup: on cgroup v1 the
 * devices controller (devices.deny "a", then one devices.allow line per
 * rule), on cgroup v2 a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
 * task's cgroup, as runc and crun do, loaded with the raw bpf() system call.
 *
 * The list is runc's default allow list (null, zero, full, random, urandom,
 * tty, console, ptmx, the pty slaves) with read and write access, but without
 * runc's "mknod of any device" ('m' on c *:* and b *:*) and without mknod of
 * the listed ones either: a container's mknod lands in its own root
 * filesystem, but an exec task's lands on the host's, in its task directory,
 * where any local user can open the node (`<alloc>/<task>/tmp/rng`) with the
 * mode the task gave it. The task's own /dev is bind-mounted by
 * drover-exec-init; it never needs to create a node. */
#ifndef PLUGIN_DEVICES_H
#define PLUGIN_DEVICES_H

#include <drover/driver.h>

typedef struct plugin_device_rule {
	char type;       /* 'c' or 'b' */
	long major;      /* -1: any */
	long minor;      /* -1: any */
	const char *access; /* of "rwm" */
} plugin_device_rule;

/* The allow list, ended by a rule with type 0. */
extern const plugin_device_rule plugin_devices_allowed[];

/* v1: denies every device in the devices cgroup `dir`, then allows the list. */
int plugin_devices_v1_apply(const char *dir, drover_err *err);

/* v2: loads the list as a device program and attaches it to the cgroup `dir`
 * (BPF_F_ALLOW_MULTI: programs of the parents still apply too). The
 * attachment lives as long as the cgroup; nothing to detach. */
int plugin_devices_v2_attach(const char *dir, drover_err *err);

#endif

/* Named network namespaces: one per allocation in bridge or none mode.
 *
 * A namespace is kept alive by a bind mount of its nsfs file on
 * <dir>/<name> (/run/netns/<alloc id>), as iproute2 does, so that `ip netns`
 * lists it, CNI plugins get a stable path (CNI_NETNS) and it outlives every
 * drover process: a restarted agent finds it again by its path. Nothing
 * here follows a symlink: the directory is root's, and a file in it that
 * is not a namespace mount is never opened as one. */
#ifndef DROVER_HOST_NETWORK_NETNS_H
#define DROVER_HOST_NETWORK_NETNS_H

#include <stddef.h>

#include <drover/driver.h>

/* Where named namespaces live, as iproute2 has them. */
#define DROVER_NETNS_DIR "/run/netns"

/* <DROVER_NETNS_DIR>/<name> into `out`; -EINVAL when `name` is not a plain
 * file name of at most 64 characters of [A-Za-z0-9._-]. */
int drover_netns_path(const char *name, char *out, size_t len, drover_err *err);

/* Makes a new, empty network namespace and pins it at the path of `name`.
 * With `source` (a namespace file a driver's holder process keeps, e.g.
 * /proc/<pid>/ns/net) that namespace is pinned there instead of a new one.
 * -EEXIST when the path already exists; nothing is left on failure. */
int drover_netns_create(const char *name, const char *source, drover_err *err);

/* 1 when the path of `name` is a pinned network namespace, 0 when nothing is
 * there, negative (and `err`) when something else is. */
int drover_netns_exists(const char *name, drover_err *err);

/* Unpins and removes the path of `name` (lazy unmount: a process still in
 * the namespace keeps it until it exits). 0 also when nothing was there. */
int drover_netns_destroy(const char *name, drover_err *err);

#endif

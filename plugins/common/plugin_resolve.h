/* Resolving a path a task can tamper with (its task directory, alloc/, local/,
 * a host volume) into one the host may hand to somebody else (dockerd, a bind
 * mount, another helper) without being sent elsewhere by a symlink.
 *
 * Every directory a task can write may hold a symlink it planted, including
 * one swapped in between two runs of the task (a container that ends with
 * `rmdir /local/esc && ln -s /etc /local/esc`). So the relative path is
 * resolved beneath a trusted base directory with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), one
 * component at a time (missing directories can be created on the way, with
 * mkdirat, never through a symlink), and every symlink, ".." or escape is
 * refused. The result is an O_PATH descriptor and the canonical absolute path
 * of the same object: the base's realpath plus the cleaned relative path,
 * checked to name the same inode again, walked from "/" with no symlink
 * allowed in any component.
 *
 * A consumer that can use the descriptor (open_tree, fchdir, openat) has no
 * window at all. One that needs a path (dockerd, which resolves the source
 * itself when it starts the container) is left with the window between the
 * check and its own lookup; callers keep it short by resolving right before
 * they hand the path over, and at every start and restart. */
#ifndef PLUGIN_RESOLVE_H
#define PLUGIN_RESOLVE_H

#include <sys/stat.h>

#include <drover/driver.h>

/* Create missing directories along `rel` (mode 0755, subject to umask), as
 * dockerd does for a Binds source that does not exist: each one relative to
 * its parent's descriptor, so that the creation never follows a symlink. */
#define PLUGIN_RESOLVE_MKDIR (1u << 0)
/* The result must be a directory or a regular file: no FIFO, socket or
 * device node a task planted. */
#define PLUGIN_RESOLVE_DIR_OR_FILE (1u << 1)

typedef struct plugin_resolved {
	int fd;          /* O_PATH | O_CLOEXEC descriptor of the object; -1 when none */
	char *path;      /* malloc()ed canonical absolute path; NULL when none */
	struct stat st;  /* fstat of fd */
} plugin_resolved;

#define PLUGIN_RESOLVED_INIT { -1, NULL, { 0 } }

/* Resolves `rel` beneath the directory `base_path` (absolute, trusted: the
 * host made it, e.g. the allocation directory; it may itself lie behind
 * symlinks of the host, which its realpath removes). `rel` is relative; a
 * leading "/" is taken as relative to the base too; "." components are
 * skipped; ".." is refused, as are symlinks anywhere in `rel` (the last
 * component included), mount points of magic links and anything that is not
 * a directory along the way. `what` names the field in every message
 * ("config \"volumes\"[0]"). On success fills *out (free with
 * plugin_resolved_free) and returns 0; on failure *out is untouched and a
 * negative errno comes with a message: -ELOOP for a symlink, -EXDEV for a way
 * out, -ENOENT for a missing component (without PLUGIN_RESOLVE_MKDIR),
 * -EINVAL for "..", -ESTALE when the checked path no longer names the object
 * (something swapped it meanwhile). */
int plugin_resolve_beneath(const char *base_path, const char *rel, unsigned flags,
                           const char *what, plugin_resolved *out, drover_err *err);

void plugin_resolved_free(plugin_resolved *r);

/* openat2(2) with O_PATH | O_CLOEXEC and `resolve`, retried while the kernel
 * answers EAGAIN. A scoped lookup (RESOLVE_BENEATH, RESOLVE_IN_ROOT) that
 * meets ".." gives EAGAIN whenever any mount or rename happened anywhere on
 * the machine during the walk, because it cannot then prove the ".." stayed
 * inside; on a host starting tasks (each one mounts) that is routine, and
 * taking it for an answer made a check pass that should have refused. Returns
 * the descriptor, or -1 with errno (EAGAIN only if every retry raced). */
int plugin_openat2(int dirfd, const char *path, unsigned long long resolve);

#endif

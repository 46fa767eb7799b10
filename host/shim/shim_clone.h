/* Starting the task child of drover-shim directly in its cgroup v2. */
#ifndef SHIM_CLONE_H
#define SHIM_CLONE_H

#include <stddef.h>
#include <sys/types.h>

/* clone3(CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP) running fn(arg) on the
 * stack [stack, stack + stack_len) in the cgroup v2 directory open as
 * cgroup_fd: the child is a member of that cgroup from its creation, so no
 * write to cgroup.procs (and no migration of a live process, which takes the
 * kernel's cgroup_threadgroup_rwsem for writing) is needed. Returns the
 * child's pid to the parent once the child exec'd or exited, as
 * clone(CLONE_VFORK) does; -1 with errno on failure, ENOSYS where the kernel
 * (before 5.7) or the architecture has no clone3: the caller then falls back
 * to clone and cgroup.procs. */
pid_t shim_clone_into_cgroup(int (*fn)(void *), void *arg, char *stack, size_t stack_len,
                             int cgroup_fd);

#endif

/* clone3 into a cgroup; see shim_clone.h. */
#include "shim_clone.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct clone_args (clone3, Linux 5.3+; cgroup from 5.7), spelled
 * out here rather than taken from <linux/sched.h>, which a musl build of the
 * shim (configure --enable-musl-shim) does not see: the layout is kernel ABI,
 * fixed, 64-bit fields. */
struct shim_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

pid_t shim_clone_into_cgroup(int (*fn)(void *), void *arg, char *stack, size_t stack_len,
                             int cgroup_fd)
{
#if defined(__x86_64__)
	struct shim_clone_args ca;
	long ret;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.stack = (uint64_t)(uintptr_t)stack;
	ca.stack_size = stack_len;
	ca.cgroup = (uint64_t)cgroup_fd;
	/* glibc has no clone3 wrapper, and with CLONE_VM the child cannot return
	 * through C code: it wakes on the new, empty stack. So the child calls
	 * fn(arg) from here, with fn and arg in callee-saved registers the
	 * system call leaves alone, and exits with its result. The stack top is
	 * page aligned, as the ABI wants at a call. */
	register long r12 __asm__("r12") = (long)(uintptr_t)fn;
	register long r13 __asm__("r13") = (long)(uintptr_t)arg;
	__asm__ volatile("syscall\n\t"
	                 "test %%rax, %%rax\n\t"
	                 "jnz 1f\n\t"
	                 "xor %%ebp, %%ebp\n\t"
	                 "mov %%r13, %%rdi\n\t"
	                 "call *%%r12\n\t"
	                 "mov %%eax, %%edi\n\t"
	                 "mov %[exit_group], %%eax\n\t"
	                 "syscall\n\t"
	                 "hlt\n"
	                 "1:\n\t"
	                 : "=a"(ret)
	                 : "0"((long)SYS_clone3), "D"(&ca), "S"(sizeof(ca)), "r"(r12), "r"(r13),
	                   [exit_group] "i"(SYS_exit_group)
	                 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (pid_t)ret;
#else
	(void)fn;
	(void)arg;
	(void)stack;
	(void)stack_len;
	(void)cgroup_fd;
	errno = ENOSYS;
	return -1;
#endif
}

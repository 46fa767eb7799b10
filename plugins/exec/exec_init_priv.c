/* The last steps before the task's first instruction: the task's user and
 * groups, its capabilities (bounding, permitted, effective, inheritable and
 * ambient all equal to the computed set, so a non-root task keeps them across
 * exec as Nomad's exec driver gives them), no_new_privs, the seccomp filter,
 * and only descriptors 0, 1 and 2 left open. */
#include "exec_init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int has_cap(const exec_init_opts *o, int cap)
{
	size_t i;
	for (i = 0; i < o->ncaps; i++)
		if (o->caps[i] == cap)
			return 1;
	return 0;
}

static void set_capabilities(const exec_init_opts *o)
{
	cap_value_t list[EXEC_INIT_MAX_CAPS];
	cap_t c = cap_init();
	size_t i;

	if (!c)
		exec_init_die(errno, "cannot allocate a capability set");
	for (i = 0; i < o->ncaps; i++)
		list[i] = (cap_value_t)o->caps[i];
	if (o->ncaps && (cap_set_flag(c, CAP_EFFECTIVE, (int)o->ncaps, list, CAP_SET) < 0 ||
	                 cap_set_flag(c, CAP_PERMITTED, (int)o->ncaps, list, CAP_SET) < 0 ||
	                 cap_set_flag(c, CAP_INHERITABLE, (int)o->ncaps, list, CAP_SET) < 0))
		exec_init_die(errno, "cannot build the task's capability set");
	if (cap_set_proc(c) < 0)
		exec_init_die(errno, "cannot set the task's capabilities");
	cap_free(c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		exec_init_die(errno, "cannot clear the ambient capabilities");
	for (i = 0; i < o->ncaps; i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)o->caps[i], 0, 0) < 0)
			exec_init_die(errno, "cannot raise the ambient capability %d", o->caps[i]);
}

static void load_seccomp(void)
{
	/* What a task never needs and what would undo its isolation or reach the
	 * host's kernel (Docker's default profile refuses the same). */
	static const char *const refused[] = {
		"mount", "umount", "umount2", "unshare", "setns", "ptrace", "kexec_load",
		"kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
		"reboot", "swapon", "swapoff", "keyctl", "add_key", "request_key", "pivot_root",
		"open_by_handle_at", "name_to_handle_at", "fsopen", "fsmount", "fsconfig",
		"fspick", "move_mount", "open_tree", "mount_setattr", "perf_event_open", "acct",
		"quotactl", "lookup_dcookie", "userfaultfd", "settimeofday", "clock_settime",
		"clock_adjtime", "adjtimex", "syslog", "vhangup", "iopl", "ioperm", "uselib",
		"process_vm_readv", "process_vm_writev", "kcmp", NULL
	};
	static const unsigned long ns_flags[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC,
		                                  CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
		                                  CLONE_NEWCGROUP, CLONE_NEWTIME };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int r, nr;

	if (!ctx)
		exec_init_die(ENOMEM, "cannot create the seccomp filter");
	for (i = 0; refused[i]; i++) {
		nr = seccomp_syscall_resolve_name(refused[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			exec_init_die(-r, "cannot add %s to the seccomp filter", refused[i]);
	}
	/* New namespaces through clone too; clone3 passes its flags in memory the
	 * filter cannot read, so it reports ENOSYS and libc falls back to clone. */
	for (i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                          SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) < 0)
			exec_init_die(-r, "cannot add clone to the seccomp filter");
	/* No device node, whatever the task's capabilities and cgroup: one
	 * made in its task directory is on the host's filesystem, where every
	 * local user can open it. The devices cgroup refuses it too; this also
	 * holds on a v1 host without the devices controller. FIFOs and sockets
	 * stay allowed. */
	for (i = 0; i < 2; i++) {
		static const unsigned long kinds[] = { S_IFCHR, S_IFBLK };
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mknod), 1,
		                          SCMP_A1(SCMP_CMP_MASKED_EQ, S_IFMT, kinds[i]))) < 0 ||
		    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mknodat), 1,
		                          SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, kinds[i]))) < 0)
			exec_init_die(-r, "cannot add mknod to the seccomp filter");
	}
	nr = seccomp_syscall_resolve_name("clone3");
	if (nr != __NR_SCMP_ERROR && (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) < 0)
		exec_init_die(-r, "cannot add clone3 to the seccomp filter");
	if ((r = seccomp_load(ctx)) < 0)
		exec_init_die(-r, "cannot load the seccomp filter");
	seccomp_release(ctx);
}

void exec_init_become_task(const exec_init_opts *o)
{
	int cap, last = (int)cap_max_bits() - 1;

	/* The task does not inherit the agent's oom_score_adj (Nomad resets it
	 * to 0): lowering it needs root, so before the user change. */
	int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (oom < 0 || write(oom, "0", 1) != 1)
		exec_init_die(errno, "cannot reset the task's oom_score_adj to 0");
	close(oom);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		exec_init_die(errno, "cannot keep capabilities across the user change");
	/* The bounding set first: dropping needs CAP_SETPCAP, which goes next. */
	for (cap = 0; cap <= last; cap++)
		if (!has_cap(o, cap) && prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			exec_init_die(errno, "cannot drop capability %d from the bounding set", cap);
	if (setgroups(o->ngroups, o->groups) < 0)
		exec_init_die(errno, "cannot set the supplementary groups");
	if (setresgid(o->gid, o->gid, o->gid) < 0)
		exec_init_die(errno, "cannot switch to gid %u", (unsigned)o->gid);
	if (setresuid(o->uid, o->uid, o->uid) < 0)
		exec_init_die(errno, "cannot switch to uid %u", (unsigned)o->uid);
	set_capabilities(o);
	if (chdir(o->work_dir ? o->work_dir : "/") < 0)
		exec_init_die(errno, "cannot change to work_dir \"%s\" in the task's root",
		              o->work_dir ? o->work_dir : "/");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		exec_init_die(errno, "cannot set no_new_privs");
	load_seccomp();
	/* Whatever the helper or the host left open does not reach the task. */
	if (close_range(3, ~0U, 0) < 0)
		exec_init_die(errno, "cannot close the inherited descriptors");
	execvp(o->argv[0], o->argv);
	exec_init_die(errno, "cannot execute \"%s\" in the task's root", o->argv[0]);
}

/* What an exec task runs with, worked out from its config before anything
 * starts (so bad input is refused with the field named and nothing left
 * behind) and again on recover (for the exec method): the argv of
 * drover-exec-init, the privilege arguments shared with its join mode, the
 * environment. */
#ifndef EXEC_PLAN_H
#define EXEC_PLAN_H

#include <stdint.h>

#include <drover/driver.h>

typedef enum exec_ns_mode { EXEC_NS_PRIVATE = 0, EXEC_NS_HOST = 1 } exec_ns_mode;

typedef struct exec_plan_opts {
	const char *init_path;          /* drover-exec-init */
	uint64_t allow_caps;
	int allow_root_user;
	int no_pivot_root;
	exec_ns_mode default_pid_mode, default_ipc_mode;
	const drover_value *chroot_env; /* client.chroot_env; NULL: the default */
} exec_plan_opts;

typedef struct exec_plan {
	char **run_argv;   /* drover-exec-init run ... -- command args */
	char **priv_args;  /* --uid N --gid N --groups .. --caps .. --work-dir .. */
	char **env;        /* NOMAD_*_DIR as the task sees them */
	int uid, gid;
	uint64_t caps;
} exec_plan;

/* "private" / "host" of the option or task field `field`; -EINVAL otherwise. */
int exec_plan_ns_mode(const char *value, const char *field, exec_ns_mode *out, drover_err *err);

/* Fills `out`; messages name the field (the caller adds the task). */
int exec_plan_build(const exec_plan_opts *po, const drover_task_config *cfg, exec_plan *out,
                    drover_err *err);

/* At start: -ENOENT, as Nomad's "file X not found under path", when the
 * command will not be an executable file in the task's root (looked up in
 * the task's PATH when it has no '/'), so a missing command fails the start
 * instead of the task exiting 127. */
int exec_plan_check_command(const exec_plan *p, const drover_task_config *cfg, drover_err *err);

void exec_plan_free(exec_plan *p);

/* Frees a NULL-ended array of malloc()ed strings. */
void exec_plan_strv_free(char **v);

#endif

/* The exec method of raw_exec: a command run beside a task, with the task's
 * environment, working directory, user and cgroups, as `nomad alloc exec`
 * runs one. */
#ifndef RAWEXEC_EXEC_H
#define RAWEXEC_EXEC_H

#include <drover/driver.h>

typedef struct rawexec_exec_ctx {
	const char *task;            /* for messages */
	const char *const *env;      /* the task's environment, after denied_envvars */
	const char *dir;             /* the task's working directory */
	int uid, gid;                /* -1: keep */
	const char *cgroups;         /* "dir:dir", joined before exec; NULL: none */
} rawexec_exec_ctx;

/* Runs req->argv and waits for it, at most req->timeout_ms (0: no limit).
 * 0 with *exit_code (128+N for a command killed by signal N); -ETIMEDOUT when
 * the command was killed at the timeout; -ENOENT & co. when it could not run. */
int rawexec_exec_run(const rawexec_exec_ctx *x, const drover_exec_request *req, int *exit_code,
                     drover_err *err);

#endif

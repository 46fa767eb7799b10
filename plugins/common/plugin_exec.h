/* The exec method of raw_exec and exec: a command run beside a task, with the
 * task's environment, working directory, user and cgroups, as `nomad alloc
 * exec` runs one. The exec driver puts drover-exec-init in front of the
 * command (`prefix`), which enters the task's namespaces and root. */
#ifndef PLUGIN_EXEC_H
#define PLUGIN_EXEC_H

#include <drover/driver.h>

typedef struct plugin_exec_ctx {
	const char *driver;          /* for messages */
	const char *const *prefix;   /* NULL-ended argv run before the command's; NULL: none */
	const char *task;            /* for messages */
	const char *const *env;      /* the task's environment, after denied_envvars */
	const char *dir;             /* the task's working directory */
	int uid, gid;                /* -1: keep */
	const char *cgroups;         /* "dir:dir", joined before exec; NULL: none */
} plugin_exec_ctx;

/* Runs req->argv and waits for it, at most req->timeout_ms (0: no limit).
 * 0 with *exit_code (128+N for a command killed by signal N); -ETIMEDOUT when
 * the command was killed at the timeout; -ENOENT & co. when it could not run. */
int plugin_exec_run(const plugin_exec_ctx *x, const drover_exec_request *req, int *exit_code,
                     drover_err *err);

#endif

/* What the tests of tests/security/ share: a drover data dir others can
 * traverse (as a real one is), jobs whose tasks run an attacker's script,
 * victims whose content and mtime prove nothing was written through a
 * planted link, and commands run as the unprivileged uid nobody (65534)
 * through setpriv(1). Built on tests/integration/cli_harness. */
#ifndef DROVER_TEST_SECURITY_HARNESS_H
#define DROVER_TEST_SECURITY_HARNESS_H

#include <sys/stat.h>

#include "tests/integration/cli_harness.h"

#define SEC_DEADLINE_MS 60000

typedef cli_result sec_result;
#define sec_result_clear cli_result_clear

typedef struct sec_env {
	cli_env cli;
	char *data_dir;    /* cli.data_dir */
	char config[400];  /* raw_exec enabled, exec with a chroot of the host's /bin, /lib... */
	char image[128];   /* a docker image sec_docker_image made, removed at teardown */
} sec_env;

void sec_env_setup(sec_env *env);
void sec_env_teardown(sec_env *env);

/* Skip (fail under DROVER_TEST_STRICT=1) without root; the exec driver's
 * attacks use drover_test_require_exec() (root and cgroups). */
#define sec_require_root() \
	drover_test_require(geteuid() == 0, "the attacks run tasks as nobody: needs root")

/* A file in a root-owned 0700 directory outside the data dir. */
typedef struct sec_victim {
	char dir[400];
	char path[420];
	struct stat before;
} sec_victim;
sec_victim sec_victim_make(const sec_env *env);
/* Content, size and mtime unchanged; nothing else appeared in its directory. */
void sec_victim_check(const sec_victim *v);

/* A batch job "<id>" of one group "g", no restarts, one task ("t" for
 * sec_job) with the driver, `extra` spliced into the task object (may be
 * NULL), and Config {command, args} unless command is NULL (extra then
 * holds the Config). Returns the job file's path (malloc'd). */
char *sec_job(const sec_env *env, const char *id, const char *driver, const char *extra,
              const char *command, const char *const *args);
char *sec_job_named(const sec_env *env, const char *id, const char *task, const char *driver,
                    const char *extra, const char *command, const char *const *args);

/* The JSON array body (without brackets) of the strings of `args`, malloc'd. */
char *sec_json_args(const char *const *args);

/* dockerd answers; a local busybox image "drover-sec-host/busybox:p<pid>"
 * (in env->image) exists or was imported; sec_env_teardown removes it, also
 * when the test failed. */
int sec_docker_usable(void);
int sec_docker_image(sec_env *env);

/* drover CMD -config ... -plugin-dir ... -data-dir ... [a1 [a2]]. */
void sec_drover(const sec_env *env, sec_result *r, const char *cmd, const char *a1,
                const char *a2);
/* run -detach; the allocation id into id (64 bytes). */
void sec_run_detached(const sec_env *env, const char *job, char *id);
/* Waits (inotify) for <alloc>/<task>/<name> to appear. */
void sec_wait_for(const sec_env *env, const char *id, const char *task, const char *name);
/* Writes a line into the FIFO <alloc>/<task>/<name> the task waits on. */
void sec_release(const sec_env *env, const char *id, const char *task, const char *name);
/* drover wait ALLOC; its stdout must hold `needle`. */
void sec_expect_exit(const sec_env *env, const char *id, const char *needle);
/* <alloc>/alloc/logs/<task>.stdout.0, malloc'd, or NULL. */
char *sec_task_log(const sec_env *env, const char *id, const char *task);

/* Attack 1 as any local user (nobody): finds the task's shim in /proc as ps
 * shows it (its --state-dir), then tries to plant a link to the victim under
 * every name the shim writes, in its state dir and in the task dir. Fails the
 * test when the state dir is inside the allocation directory or when nobody
 * could create or list anything in it. */
void sec_local_user_attacks_shim(const sec_env *env, const char *id, const char *task,
                                 const char *victim);

/* /bin/sh -c `script` as uid/gid 65534 with no supplementary groups;
 * stdout and stderr both in r->out. */
void sec_as_nobody(const char *script, sec_result *r);

/* <data_dir>/<sub> does not exist or holds nothing. */
int sec_dir_empty_or_missing(const sec_env *env, const char *sub);
/* lstat(<dir>/<name>) has exactly `mode` (permission bits). */
void sec_assert_mode(const char *dir, const char *name, unsigned mode);

#endif

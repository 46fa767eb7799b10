/* Issue 11, the host side: each attack performed as the issue describes it,
 * from inside a real task started by the real `drover run` (raw_exec, and
 * exec where the attack concerns it) and, where the issue says "any local
 * user", by the unprivileged uid nobody through setpriv(1). Every test
 * asserts that the attack fails and that a victim file in a root-owned
 * directory outside the data dir keeps its content and its mtime.
 *
 * The doc that states the model these tests attack is doc/security.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "security_harness.h"
#include "tests/test_support.h"

static sec_env env;

static void setup(void)
{
	sec_env_setup(&env);
}

static void teardown(void)
{
	sec_env_teardown(&env);
}

TestSuite(attack_host, .init = setup, .fini = teardown, .timeout = 180);

/* The attacker's script for a task: plant a link to the victim under every
 * name the shim used to write in the task directory (the .tmp name of the
 * shim, which is the task's parent: $PPID), then wait for the test to let it
 * go, and exit 3. "$1" is the victim's path, "$2" the task directory as the
 * task sees it. */
#define PLANT_LINKS                                                                         \
	"cd \"$2\" || exit 8; "                                                             \
	"if read a b c d < pids; then echo SAW-PIDS-$c; c=$c; else c=$PPID; fi; "          \
	"for n in .exit-status.$c.tmp .pids.$c.tmp exit-status pids; do "                  \
	"rm -f $n; ln -s \"$1\" $n || exit 7; done; "                                       \
	"mkfifo go && read x < go; exit 3"

/* Attack 1 from a raw_exec task running as nobody: before the fix, root's
 * shim truncated and overwrote the victim through the planted .tmp link. */
Test(attack_host, shim_state_files_raw_exec_task)
{
	sec_require_root();
	char script[1024];
	snprintf(script, sizeof(script), PLANT_LINKS);
	sec_victim v = sec_victim_make(&env);
	const char *args[] = { "-c", script, "task", v.path, "${NOMAD_TASK_DIR}/..", NULL };
	char *job = sec_job(&env, "a1raw", "raw_exec", "\"User\": \"nobody\"", "/bin/sh", args);
	char id[64];
	sec_run_detached(&env, job, id);
	sec_wait_for(&env, id, "t", "go");
	/* Any local user: the shim's pid and state dir are in ps; the state dir
	 * must not be writable (nor even enterable) by it. */
	sec_local_user_attacks_shim(&env, id, "t", v.path);
	sec_release(&env, id, "t", "go");
	sec_expect_exit(&env, id, "exit code 3,");
	sec_victim_check(&v);
	char *log = sec_task_log(&env, id, "t");
	cr_assert(!log || !strstr(log, "SAW-PIDS"), "the task read the shim's pids: %s", log);
	free(log);
	free(job);
}

/* Attack 1 from an exec task (nobody, its task dir as /): `/pids` must not
 * exist, and links it plants in its root are never followed by root. */
Test(attack_host, shim_state_files_exec_task)
{
	drover_test_require_exec();
	char script[1024];
	snprintf(script, sizeof(script), PLANT_LINKS);
	sec_victim v = sec_victim_make(&env);
	const char *args[] = { "-c", script, "task", v.path, "/", NULL };
	char *job = sec_job(&env, "a1exec", "exec", NULL, "/bin/sh", args);
	char id[64];
	sec_run_detached(&env, job, id);
	sec_wait_for(&env, id, "t", "go");
	sec_local_user_attacks_shim(&env, id, "t", v.path);
	sec_release(&env, id, "t", "go");
	sec_expect_exit(&env, id, "exit code 3,");
	sec_victim_check(&v);
	char *log = sec_task_log(&env, id, "t");
	cr_assert(log && !strstr(log, "SAW-PIDS"), "an exec task sees the shim's pids file: %s",
	          log ? log : "(no log)");
	free(log);
	free(job);
}

/* Attack 3: a task named "alloc" is refused at validation, naming the field,
 * before anything is created. */
Test(attack_host, task_named_alloc_is_refused)
{
	const char *args[] = { "-c", "exit 0", NULL };
	char *job = sec_job_named(&env, "a3", "alloc", "raw_exec", NULL, "/bin/sh", args);
	sec_result r;
	sec_drover(&env, &r, "validate", job, NULL);
	cr_assert_neq(r.exit_code, 0, "validate accepted a task named alloc: %s", r.out);
	cr_assert(strstr(r.err, "\"Name\" \"alloc\" cannot be used for a task"), "stderr: %s", r.err);
	sec_result_clear(&r);
	sec_drover(&env, &r, "run", job, NULL);
	cr_assert_neq(r.exit_code, 0, "run accepted a task named alloc: %s", r.out);
	cr_assert(strstr(r.err, "\"Name\" \"alloc\""), "stderr: %s", r.err);
	sec_result_clear(&r);
	cr_assert(sec_dir_empty_or_missing(&env, "alloc"), "an allocation directory was made");
	free(job);
}

/* Attack 6: an unprivileged user greps a task's secret out of the state
 * database (and its WAL), lists allocations, or reads the run directory. */
Test(attack_host, secrets_are_not_readable_by_other_users)
{
	const char *args[] = { "-c", "exit 0", NULL };
	char *job = sec_job(&env, "a6", "raw_exec",
	                    "\"Env\": {\"DB_PASSWORD\": \"hunter2-sec-host\"}", "/bin/sh", args);
	sec_result r;
	sec_drover(&env, &r, "run", job, NULL);
	cr_assert_eq(r.exit_code, 0, "run: %s %s", r.out, r.err);
	sec_result_clear(&r);

	/* The secret is in there: root finds it, so the next check means something. */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cat '%s'/state.db* | grep -q hunter2-sec-host", env.data_dir);
	cr_assert_eq(system(cmd), 0, "the secret is not in the store at all: the test is void");

	/* As nobody, exactly as the issue: grep DB_PASSWORD out of it. */
	snprintf(cmd, sizeof(cmd),
	         "for f in '%1$s'/state.db '%1$s'/state.db-wal '%1$s'/state.db-shm; do "
	         "  [ -e \"$f\" ] || continue; "
	         "  if grep -a hunter2-sec-host \"$f\"; then echo \"LEAK $f\"; exit 1; fi; "
	         "  if cat \"$f\" >/dev/null 2>&1; then echo \"READABLE $f\"; exit 1; fi; "
	         "done; "
	         "if ls '%1$s' >/dev/null 2>&1; then echo 'LISTED data dir'; exit 1; fi; "
	         "if ls '%1$s'/run >/dev/null 2>&1; then echo 'LISTED run dir'; exit 1; fi; "
	         "exit 0",
	         env.data_dir);
	sec_as_nobody(cmd, &r);
	cr_assert_eq(r.exit_code, 0, "an unprivileged user read the job's secrets: %s%s", r.out,
	             r.err);
	sec_result_clear(&r);
	sec_assert_mode(env.data_dir, "state.db", 0600);
	/* -wal and -shm exist while a drover process has the store open
	 * (tests/unit/test_state_store checks them then); the script above
	 * covered them if they were left. */
	sec_assert_mode(env.data_dir, "run", 0700);
	sec_assert_mode(env.data_dir, ".", 0711);
	free(job);
}

/* gc removes the private run directory with the allocation. */
Test(attack_host, gc_removes_the_run_directory)
{
	const char *args[] = { "-c", "exit 0", NULL };
	char *job = sec_job(&env, "gc", "raw_exec", NULL, "/bin/sh", args);
	sec_result r;
	sec_drover(&env, &r, "run", job, NULL);
	cr_assert_eq(r.exit_code, 0, "run: %s %s", r.out, r.err);
	sec_result_clear(&r);
	cr_assert(!sec_dir_empty_or_missing(&env, "run"), "no run directory was made");
	sec_drover(&env, &r, "gc", NULL, NULL);
	cr_assert_eq(r.exit_code, 0, "gc: %s %s", r.out, r.err);
	sec_result_clear(&r);
	cr_assert(sec_dir_empty_or_missing(&env, "run"), "gc left the run directory");
	free(job);
}

/* Attack 2 from a docker container, as the issue ran it: the container links
 * the next rotation file of its own log to a root-owned file and writes
 * 1.1 MB with MaxFileSizeMB 1. Its output must never reach the victim
 * (whether alloc/logs is writable in the container or not). */
Test(attack_host, log_rotation_from_a_docker_container)
{
	sec_require_root();
	drover_test_require(sec_docker_usable(), "dockerd is not reachable at /var/run/docker.sock");
	char script[1024], extra[2048];
	cr_assert(sec_docker_image(&env), "building the test image %s failed", env.image);
	sec_victim v = sec_victim_make(&env);
	snprintf(script, sizeof(script),
	         "ln -s '%s' /alloc/logs/t.stdout.1 || echo LINK-REFUSED >&2; "
	         "head -c 1100000 /dev/zero | tr '\\0' x; echo; exit 0",
	         v.path);
	const char *args[] = { "-c", script, NULL };
	char *list = sec_json_args(args);
	snprintf(extra, sizeof(extra),
	         "\"LogConfig\": {\"MaxFiles\": 3, \"MaxFileSizeMB\": 1}, "
	         "\"Config\": {\"image\": \"%s\", \"command\": \"/bin/sh\", \"args\": [%s]}",
	         env.image, list);
	free(list);
	char *job = sec_job(&env, "a2docker", "docker", extra, NULL, NULL);
	sec_result r;
	sec_drover(&env, &r, "run", job, NULL);
	cr_assert_eq(r.exit_code, 0, "run: %s %s", r.out, r.err);
	sec_result_clear(&r);
	sec_victim_check(&v);
	free(job);
}

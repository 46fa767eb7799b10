/* Running the real `drover` binary from tests: arguments in, exit status and
 * the whole stdout/stderr out, with a deadline instead of a hope. */
#ifndef DROVER_TEST_CLI_HARNESS_H
#define DROVER_TEST_CLI_HARNESS_H

#include <sys/types.h>

typedef struct cli_result {
	int exit_code;  /* -1 when killed by a signal or timed out */
	int signal;
	int timed_out;
	char *out;
	char *err;
	/* Leak checking was on and LeakSanitizer's own tracer crashed at drover's
	 * exit (google/sanitizers#1353): the exit status is LeakSanitizer's, not
	 * drover's; run the scenario again. */
	int lsan_tracer_crashed;
} cli_result;

/* A fresh directory under /tmp with a data dir, an agent config enabling
 * raw_exec (or not) and room for job files. */
typedef struct cli_env {
	char root[256];
	char data_dir[300];
	char config_enabled[300];
	char config_disabled[300];
} cli_env;

void cli_env_setup(cli_env *env);
void cli_env_teardown(cli_env *env);

/* A criterion suite whose every test has a fresh cli_env `env` (setup and
 * teardown made here). */
#define CLI_ENV_SUITE(suite, env, timeout_s)                                              \
	static cli_env env;                                                               \
	static void suite##_setup(void)                                                   \
	{                                                                                 \
		cli_env_setup(&env);                                                      \
	}                                                                                 \
	static void suite##_teardown(void)                                                \
	{                                                                                 \
		cli_env_teardown(&env);                                                   \
	}                                                                                 \
	TestSuite(suite, .init = suite##_setup, .fini = suite##_teardown, .timeout = timeout_s)

/* The plugin directory of the build (DROVER_TEST_PLUGIN_DIR, which `make
 * check` sets); fails the test without it. */
const char *cli_plugin_dir(void);

/* Writes <root>/agent.json: the client's chroot_env of the exec tests (/bin,
 * /etc, /lib, /lib64, /usr), and `plugins` as its "plugin" block unless
 * NULL. Returns the path, malloc'd. */
char *cli_write_exec_agent_config(const cli_env *env, const char *plugins);

/* <data_dir>/alloc/<the one allocation>/<rel>, malloc'd; fails the test
 * when there is no allocation. */
char *cli_alloc_path(const cli_env *env, const char *rel);

/* Writes `text` to <root>/<name> and returns the path (static buffer per call site is
 * not needed: the path is malloc'd and freed by the caller). */
char *cli_write_file(const cli_env *env, const char *name, const char *text);

/* In a sanitizer build (ASAN_OPTIONS set) the drover processes the harness
 * starts run with ASan and UBSan but without LeakSanitizer: its ptrace-based
 * tracer crashes now and then at exit on a loaded machine, which would turn
 * behaviour tests into lottery tickets. tests/integration/test_cli_leaks.c
 * turns leak checking on (cli_check_leaks(1)) and runs every command through
 * scenarios it can repeat when that happens. */
void cli_check_leaks(int on);

/* Runs drover with argv (NULL-ended, without the program name); kills it after
 * timeout_ms. A sanitizer report on drover's stderr fails the test. */
void cli_run(cli_result *res, long long timeout_ms, const char *const *argv);
void cli_result_clear(cli_result *res);

/* cli_run of `drover run -config CONFIG -plugin-dir <cli_plugin_dir()>
 * -data-dir <env's> JOB`. */
void cli_run_job(cli_result *res, long long timeout_ms, const cli_env *env, const char *config,
                 const char *job);

/* Starts drover in the background with stdout to a pipe; returns the pid and
 * the read end in *out_fd. */
pid_t cli_spawn(const char *const *argv, int *out_fd);

/* Reads from fd until `needle` appeared in what was read (returned, malloc'd)
 * or timeout_ms passed (NULL). */
char *cli_read_until(int fd, const char *needle, long long timeout_ms);

/* waitpid with a deadline; returns the wait status or -1 on timeout. */
int cli_wait(pid_t pid, long long timeout_ms);

/* Waits for any process (not only a child) to end, through a pidfd: 1 when it
 * is gone, 0 when it still runs at the deadline. */
int cli_wait_gone(pid_t pid, long long timeout_ms);

/* The whole file, malloc'd, or NULL. */
char *cli_slurp(const char *path);

/* True when a process with this pid exists and is not a zombie. */
int cli_pid_alive(pid_t pid);

#endif

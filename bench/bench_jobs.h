/* The drover binary as an operator runs it: an agent config enabling
 * raw_exec, the built plugin directory, a data dir, generated job files. */
#ifndef DROVER_BENCH_JOBS_H
#define DROVER_BENCH_JOBS_H

typedef struct bench_cli {
	const char *drover;      /* $BENCH_DROVER or the built host/drover; run with
	                            DROVER_SHIM set to the built drover-shim */
	const char *plugin_dir;  /* $BENCH_PLUGIN_DIR or the built tests/plugins.d */
	char root[256];
	char agent_config[300];
	char data_dir[300];
} bench_cli;

/* Under `root`: agent.json ({"plugin": {"raw_exec": {"config": {"enabled":
 * true}}}}) and the data dir data/. */
void bench_cli_setup(bench_cli *cli, const char *root);

/* Writes <root>/<name>.json: a job of `type` with one group of `count`
 * allocations, each one raw_exec task running command + args (NULL-ended,
 * may be NULL), no restarts, KillSignal SIGTERM, KillTimeout 5 s, logs of one
 * 1 MB file. Returns the path (malloc'd). */
char *bench_job_write(const bench_cli *cli, const char *name, const char *type, long long count,
                      const char *command, const char *const *args);

#endif

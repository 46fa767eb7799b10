/* Agent config and job files for the drover binary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_jobs.h"
#include "util.h"

void bench_cli_setup(bench_cli *cli, const char *root)
{
	memset(cli, 0, sizeof(*cli));
	cli->drover = bench_env_path("BENCH_DROVER", BENCH_DROVER_DEFAULT);
	cli->plugin_dir = bench_env_path("BENCH_PLUGIN_DIR", BENCH_PLUGIN_DIR_DEFAULT);
	/* The built drover-shim, not the installed one: drover reads DROVER_SHIM. */
	if (setenv("DROVER_SHIM", bench_env_path("DROVER_SHIM", BENCH_SHIM_DEFAULT), 1) < 0)
		bench_die("setenv: %s", strerror(errno));
	/* And the exec and docker drivers' helpers, which they find the same way. */
	if (setenv("DROVER_EXEC_INIT", bench_env_path("DROVER_EXEC_INIT", BENCH_EXEC_INIT_DEFAULT),
	           1) < 0 ||
	    setenv("DROVER_DOCKER_LOGGER",
	           bench_env_path("DROVER_DOCKER_LOGGER", BENCH_DOCKER_LOGGER_DEFAULT), 1) < 0)
		bench_die("setenv: %s", strerror(errno));
	snprintf(cli->root, sizeof(cli->root), "%s", root);
	snprintf(cli->agent_config, sizeof(cli->agent_config), "%s/agent.json", root);
	snprintf(cli->data_dir, sizeof(cli->data_dir), "%s/data", root);
	bench_write_file(cli->agent_config,
	                 "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}}}\n");
	int rc = drover_mkdir_p(cli->data_dir, 0711);
	if (rc < 0)
		bench_die("cannot create \"%s\": %s", cli->data_dir, strerror(-rc));
}

/* The strings come from the benchmark itself; refusing what would need
 * escaping keeps the generated JSON trivially right. */
static const char *plain(const char *s)
{
	if (strpbrk(s, "\"\\\n"))
		bench_die("job string \"%s\" would need JSON escaping", s);
	return s;
}

char *bench_job_write(const bench_cli *cli, const char *name, const char *type, long long count,
                      const char *command, const char *const *args)
{
	char *path = drover_strdup_printf("%s/%s.json", cli->root, plain(name));
	FILE *f = path ? fopen(path, "we") : NULL;
	if (!f)
		bench_die("cannot create the job file for \"%s\": %s", name, strerror(errno));
	fprintf(f,
	        "{\"Job\": {\"ID\": \"%s\", \"Name\": \"%s\", \"Type\": \"%s\", "
	        "\"Datacenters\": [\"dc1\"],\n"
	        " \"TaskGroups\": [{\"Name\": \"g\", \"Count\": %lld,\n"
	        "  \"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},\n"
	        "  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
	        "   \"Config\": {\"command\": \"%s\", \"args\": [",
	        name, name, plain(type), count, plain(command));
	for (size_t i = 0; args && args[i]; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", plain(args[i]));
	fprintf(f, "]},\n"
	           "   \"KillSignal\": \"SIGTERM\", \"KillTimeout\": 5000000000,\n"
	           "   \"Resources\": {\"CPU\": 100, \"MemoryMB\": 64},\n"
	           "   \"LogConfig\": {\"MaxFiles\": 1, \"MaxFileSizeMB\": 1}}]}]}}\n");
	if (fclose(f) != 0)
		bench_die("cannot write \"%s\": %s", path, strerror(errno));
	return path;
}

/* An exec task end to end through the real `drover run`: the exec plugin from
 * the plugin directory, drover-exec-init under drover-shim, real namespaces
 * and cgroups. Needs root. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cli_harness.h"
#include "tests/test_support.h"

#define DEADLINE_MS 60000

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(cli_exec, .init = setup, .fini = teardown, .timeout = 120);

static int cgroups_usable(void)
{
	struct stat st;
	return stat("/sys/fs/cgroup/memory/memory.limit_in_bytes", &st) == 0 ||
	       stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

Test(cli_exec, drover_run_runs_an_exec_task_isolated)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	char logs[600], path[900], alloc[256] = "";
	char *job, *config, *out;
	struct dirent *e;
	cli_result r;
	DIR *d;

	drover_test_require(geteuid() == 0 && cgroups_usable(),
	                    "the exec driver needs root and mounted cgroups");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	config = cli_write_file(&env, "agent.json",
	                        "{\"client\": {\"chroot_env\": {\"/bin\": \"/bin\", \"/etc\": "
	                        "\"/etc\", \"/lib\": \"/lib\", \"/lib64\": \"/lib64\", \"/usr\": "
	                        "\"/usr\"}},\n \"plugin\": {\"exec\": {\"config\": "
	                        "{\"pids_limit\": 128}}}}\n");
	job = cli_write_file(&env, "exec.json",
	                     "{\"Job\": {\"ID\": \"iso\", \"Name\": \"iso\", \"Type\": \"batch\",\n"
	                     " \"TaskGroups\": [{\"Name\": \"g\", \"Tasks\": [{\n"
	                     "   \"Name\": \"t\", \"Driver\": \"exec\",\n"
                     "   \"RestartPolicy\": {\"Attempts\": 0},\n"
	                     "   \"Resources\": {\"CPU\": 100, \"MemoryMB\": 64},\n"
	                     "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", "
	                     "\"id -u; echo $NOMAD_TASK_DIR; ls /local >/dev/null && echo ok; "
	                     "touch /usr/x || exit 4\"]}\n"
	                     " }]}]}}\n");
	const char *argv[] = { "run", "-config", config, "-plugin-dir", dir, "-data-dir",
		               env.data_dir, job, NULL };
	cli_run(&r, DEADLINE_MS, argv);
	/* touch /usr/x fails on the read-only bind: the task exits 4. */
	cr_assert(strstr(r.out, "Exit Code: 4"), "stdout: %s stderr: %s", r.out, r.err);
	snprintf(logs, sizeof(logs), "%s/alloc", env.data_dir);
	d = opendir(logs);
	cr_assert(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(alloc, sizeof(alloc), "%s", e->d_name);
	closedir(d);
	cr_assert(alloc[0]);
	snprintf(path, sizeof(path), "%s/%s/alloc/logs/t.stdout.0", logs, alloc);
	out = cli_slurp(path);
	cr_assert(out && strcmp(out, "65534\n/local\nok\n") == 0, "stdout log: %s",
	          out ? out : "(none)");
	free(out);
	cli_result_clear(&r);
	free(job);
	free(config);
}

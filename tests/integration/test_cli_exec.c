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

CLI_ENV_SUITE(cli_exec, env, 120);

Test(cli_exec, drover_run_runs_an_exec_task_isolated)
{
	char *job, *config, *out, *path;
	cli_result r;

	drover_test_require_exec();
	config = cli_write_exec_agent_config(&env,
	                                     "{\"exec\": {\"config\": {\"pids_limit\": 128}}}");
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
	cli_run_job(&r, DEADLINE_MS, &env, config, job);
	/* touch /usr/x fails on the read-only bind: the task exits 4. */
	cr_assert(strstr(r.out, "Exit Code: 4"), "stdout: %s stderr: %s", r.out, r.err);
	path = cli_alloc_path(&env, "alloc/logs/t.stdout.0");
	out = cli_slurp(path);
	free(path);
	cr_assert(out && strcmp(out, "65534\n/local\nok\n") == 0, "stdout log: %s",
	          out ? out : "(none)");
	free(out);
	cli_result_clear(&r);
	free(job);
	free(config);
}

/* `drover validate` of a job whose group volume "v" has Source `source`, and
 * whose one task (on `driver`) mounts `mounted`: exit 1, `needle` on stderr. */
static void expect_validate_refuses(const char *config, const char *dir, const char *name,
                                    const char *driver, const char *source, const char *mounted,
                                    const char *needle)
{
	char text[1024], *job;
	cli_result r;

	snprintf(text, sizeof(text),
	         "{\"Job\": {\"ID\": \"v\", \"Name\": \"v\", \"Type\": \"batch\",\n"
	         " \"TaskGroups\": [{\"Name\": \"g\",\n"
	         "  \"Volumes\": {\"v\": {\"Type\": \"host\", \"Source\": \"%s\"}},\n"
	         "  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"%s\",\n"
	         "   \"VolumeMounts\": [{\"Volume\": \"%s\", \"Destination\": \"/srv\"}],\n"
	         "   \"Config\": {\"command\": \"/bin/true\"}}]}]}}\n",
	         source, driver, mounted);
	job = cli_write_file(&env, name, text);
	const char *argv[] = { "validate", "-config", config, "-plugin-dir", dir, job, NULL };
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 1, "%s: stdout: %s stderr: %s", name, r.out, r.err);
	cr_assert(strstr(r.err, needle), "%s: \"%s\" not in stderr: %s", name, needle, r.err);
	cr_assert(strstr(r.err, "task \"t\""), "%s: the task is not named: %s", name, r.err);
	cli_result_clear(&r);
	free(job);
}

/* Host volumes end to end (Nomad's client.host_volume, group Volumes of type
 * host, task VolumeMounts; TestExecDriver_DevicesAndMounts): read-write and
 * read-only binds inside the exec task's root, read_only winning from the
 * agent or the mount; an undeclared volume and a raw_exec task with mounts
 * refused by validation, naming them. */
Test(cli_exec, host_volumes_are_bound_read_write_and_read_only)
{
	const char *dir;
	char rw[400], ro[400], file[500], *config, *job, *got;
	char text[4096];
	cli_result r;
	FILE *f;

	drover_test_require_exec();
	dir = cli_plugin_dir();
	snprintf(rw, sizeof(rw), "%s/vol-rw", env.root);
	snprintf(ro, sizeof(ro), "%s/vol-ro", env.root);
	cr_assert_eq(mkdir(rw, 0777), 0);
	cr_assert_eq(mkdir(ro, 0755), 0);
	cr_assert_eq(chmod(rw, 0777), 0);
	snprintf(file, sizeof(file), "%s/in", ro);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs("from the host\n", f);
	fclose(f);
	snprintf(text, sizeof(text),
	         "{\"client\": {\"chroot_env\": {\"/bin\": \"/bin\", \"/etc\": \"/etc\", \"/lib\": "
	         "\"/lib\", \"/lib64\": \"/lib64\", \"/usr\": \"/usr\"},\n"
	         "  \"host_volume\": {\"data\": {\"path\": \"%s\"},\n"
	         "                  \"shared\": {\"path\": \"%s\", \"read_only\": true}}}}\n",
	         rw, ro);
	config = cli_write_file(&env, "agent.json", text);
	job = cli_write_file(&env, "vol.json",
	        "{\"Job\": {\"ID\": \"vol\", \"Name\": \"vol\", \"Type\": \"batch\",\n"
	        " \"TaskGroups\": [{\"Name\": \"g\",\n"
	        "  \"Volumes\": {\"data\": {\"Name\": \"data\", \"Type\": \"host\", \"Source\": \"data\"},\n"
	        "               \"shared\": {\"Name\": \"shared\", \"Type\": \"host\", \"Source\": \"shared\","
	        " \"ReadOnly\": false}},\n"
	        "  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"exec\",\n"
	        "   \"RestartPolicy\": {\"Attempts\": 0},\n"
	        "   \"VolumeMounts\": [{\"Volume\": \"data\", \"Destination\": \"/srv/data\"},\n"
	        "                    {\"Volume\": \"shared\", \"Destination\": \"/srv/shared\"},\n"
	        "                    {\"Volume\": \"data\", \"Destination\": \"/local/data-ro\","
	        " \"ReadOnly\": true}],\n"
	        "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", "
	        "\"echo written > /srv/data/out || exit 3; cat /srv/shared/in || exit 4; "
	        "touch /srv/shared/x 2>/dev/null && exit 5; "
	        "touch /local/data-ro/x 2>/dev/null && exit 6; "
	        "test -f /local/data-ro/out || exit 7; exit 0\"]}\n"
	        " }]}]}}\n");
	cli_run_job(&r, DEADLINE_MS, &env, config, job);
	cr_assert(strstr(r.out, "Exit Code: 0"), "stdout: %s stderr: %s", r.out, r.err);
	snprintf(file, sizeof(file), "%s/out", rw);
	got = cli_slurp(file);
	cr_assert(got && strcmp(got, "written\n") == 0, "the task's write did not reach %s",
	          file);
	free(got);
	snprintf(file, sizeof(file), "%s/x", ro);
	cr_assert_neq(access(file, F_OK), 0, "the read-only volume was written");
	cli_result_clear(&r);

	/* A volume the agent does not declare, raw_exec, which cannot mount, and a
	 * mount naming no volume of the group. */
	expect_validate_refuses(config, dir, "bad.json", "exec", "nope", "v",
	                        "host volume \"nope\" is not declared by this agent");
	expect_validate_refuses(config, dir, "raw.json", "raw_exec", "data", "v",
	                        "driver \"raw_exec\" has no filesystem isolation and cannot "
	                        "mount volumes");
	expect_validate_refuses(config, dir, "typo.json", "exec", "data", "w",
	                        "VolumeMounts[0] names volume \"w\", which is not one of the "
	                        "group's Volumes");
	free(job);
	free(config);
}

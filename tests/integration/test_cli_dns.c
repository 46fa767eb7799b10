/* The group network's DNS block through the real `drover run` (issue 15:
 * "DNS options appear in resolv.conf"): the job file's block is parsed,
 * handed to the exec plugin and bound at the task's /etc/resolv.conf. A
 * raw_exec task of the same group, which has no filesystem of its own, runs
 * as before and sees the host's file, as in Nomad. Needs root. */
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

CLI_ENV_SUITE(cli_dns, env, 120);

/* The stdout log of `task` in the only allocation of the data dir. */
static char *task_stdout(const char *task)
{
	char rel[300], *path, *out;

	snprintf(rel, sizeof(rel), "alloc/logs/%s.stdout.0", task);
	path = cli_alloc_path(&env, rel);
	out = cli_slurp(path);
	free(path);
	return out;
}

Test(cli_dns, drover_run_puts_the_dns_block_in_an_exec_tasks_resolv_conf)
{
	char *job, *config, *out, *host;
	cli_result r;

	drover_test_require_exec();
	config = cli_write_exec_agent_config(&env,
	                                     "{\"raw_exec\": {\"config\": {\"enabled\": true}}}");
	job = cli_write_file(&env, "dns.json",
	                     "{\"Job\": {\"ID\": \"dns\", \"Name\": \"dns\", \"Type\": \"batch\",\n"
	                     " \"TaskGroups\": [{\"Name\": \"g\",\n"
	                     "  \"Networks\": [{\"Mode\": \"host\", \"DNS\": {\n"
	                     "    \"Servers\": [\"127.0.0.53\", \"2001:db8::53\"],\n"
	                     "    \"Searches\": [\"service.test\"],\n"
	                     "    \"Options\": [\"ndots:3\", \"attempts:2\"]}}],\n"
	                     "  \"Tasks\": [{\n"
	                     "   \"Name\": \"t\", \"Driver\": \"exec\",\n"
	                     "   \"RestartPolicy\": {\"Attempts\": 0},\n"
	                     "   \"Resources\": {\"CPU\": 100, \"MemoryMB\": 64},\n"
	                     "   \"Config\": {\"command\": \"/bin/cat\", "
	                     "\"args\": [\"/etc/resolv.conf\"]}},\n"
	                     "  {\"Name\": \"raw\", \"Driver\": \"raw_exec\",\n"
	                     "   \"RestartPolicy\": {\"Attempts\": 0},\n"
	                     "   \"Config\": {\"command\": \"/bin/cat\", "
	                     "\"args\": [\"/etc/resolv.conf\"]}}]}]}}\n");
	cli_run_job(&r, DEADLINE_MS, &env, config, job);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);
	out = task_stdout("t");
	cr_assert(out && strcmp(out, "search service.test\nnameserver 127.0.0.53\n"
	                             "nameserver 2001:db8::53\noptions ndots:3 attempts:2\n") == 0,
	          "exec task's resolv.conf: %s", out ? out : "(none)");
	free(out);
	/* raw_exec: no isolation, nothing bound; the host's own file. */
	out = task_stdout("raw");
	host = cli_slurp("/etc/resolv.conf");
	cr_assert(out && host && strcmp(out, host) == 0, "raw_exec task's resolv.conf: %s",
	          out ? out : "(none)");
	free(host);
	free(out);
	cli_result_clear(&r);
	free(job);
	free(config);
}

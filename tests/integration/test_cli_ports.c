/* `drover run` end to end with ports and ${...}: a raw_exec task prints its
 * interpolated arguments into its real log file; the port it was given is
 * from the agent's range, is not the one the test holds, and can be listened
 * on at 127.0.0.1. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cli_harness.h"

#define DEADLINE_MS 30000

static cli_env env;

static void setup(void)
{
	cli_env_setup(&env);
}

static void teardown(void)
{
	cli_env_teardown(&env);
}

TestSuite(cli_ports, .init = setup, .fini = teardown, .timeout = 120);

static const char *plugin_dir(void)
{
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	return dir;
}

static int only_alloc(char *id, size_t len)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/alloc", env.data_dir);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && n++ == 0)
			snprintf(id, len, "%s", e->d_name);
	closedir(d);
	return n;
}

/* A TCP listener on 127.0.0.1:`port` (0: any), returning the port in *port. */
static int listen_on(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1;
	}
	socklen_t len = sizeof(sin);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void assert_connects(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "connect to 127.0.0.1:%d: %s",
	             port, strerror(errno));
	close(fd);
}

Test(cli_ports, run_interpolates_port_and_meta_into_args)
{
	/* The range is two ports and the test holds one of them: only the other
	 * may be given, which proves drover probed the host. */
	int held = 0;
	int held_fd = listen_on(&held);
	cr_assert(held_fd >= 0);
	int free_port = held < 65535 ? held + 1 : held - 1;
	int lo = held < free_port ? held : free_port, hi = held < free_port ? free_port : held;

	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}},\n"
	                   " \"datacenter\": \"dc-test\",\n"
	                   " \"client\": {\"min_dynamic_port\": %d, \"max_dynamic_port\": %d}}\n",
	                   lo, hi) > 0);
	char *config = cli_write_file(&env, "agent-ports.json", text);
	free(text);
	char *job = cli_write_file(
		&env, "ports.json",
		"{\"Job\": {\"ID\": \"pj\", \"Name\": \"pj\", \"Type\": \"batch\", \"Meta\": {\"x\": \"from-job\"},\n"
		" \"TaskGroups\": [{\"Name\": \"g\",\n"
		"  \"Networks\": [{\"DynamicPorts\": [{\"Label\": \"http\"}]}],\n"
		"  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\", \"Meta\": {\"x\": \"from-task\"},\n"
		"   \"Env\": {\"WHERE\": \"${NOMAD_ADDR_http} in ${node.datacenter}\"},\n"
		"   \"Config\": {\"command\": \"/bin/echo\",\n"
		"     \"args\": [\"port=${NOMAD_PORT_http}\", \"meta=${meta.x}\", \"kernel=${attr.kernel.name}\",\n"
		"               \"raw_exec=${attr.driver.raw_exec}\", \"unknown=${no.such.thing}\"]}}]}]}}\n");
	cli_result r;
	const char *argv[] = {"run", "-config", config, "-plugin-dir", plugin_dir(), "-data-dir",
	                      env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);

	char id[256];
	cr_assert_eq(only_alloc(id, sizeof(id)), 1);
	char path[4096];
	snprintf(path, sizeof(path), "%s/alloc/%s/alloc/logs/t.stdout.0", env.data_dir, id);
	char *out = cli_slurp(path);
	cr_assert(out, "no log %s", path);
	char want[256];
	snprintf(want, sizeof(want),
	         "port=%d meta=from-task kernel=linux raw_exec=1 unknown=${no.such.thing}\n", free_port);
	cr_assert_str_eq(out, want, "held %d, range %d-%d", held, lo, hi);
	free(out);

	/* The port given is usable: listen on it at 127.0.0.1 and connect. */
	close(held_fd);
	int port = free_port;
	int fd = listen_on(&port);
	cr_assert(fd >= 0, "cannot listen on the given port %d: %s", free_port, strerror(errno));
	assert_connects(port);
	close(fd);

	cli_result_clear(&r);
	free(config);
	free(job);
}

Test(cli_ports, env_is_interpolated_and_port_variables_are_set)
{
	char *job = cli_write_file(
		&env, "envports.json",
		"{\"Job\": {\"ID\": \"ej\", \"Name\": \"ej\", \"Type\": \"batch\",\n"
		" \"TaskGroups\": [{\"Name\": \"g\",\n"
		"  \"Networks\": [{\"ReservedPorts\": [{\"Label\": \"adm\", \"Value\": 19999, \"To\": 80}]}],\n"
		"  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
		"   \"Env\": {\"WHERE\": \"${NOMAD_ADDR_adm} in ${node.region}\"},\n"
		"   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"env | sort\"]}}]}]}}\n");
	cli_result r;
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_eq(r.exit_code, 0, "stdout: %s stderr: %s", r.out, r.err);
	char id[256];
	cr_assert_eq(only_alloc(id, sizeof(id)), 1);
	char path[4096];
	snprintf(path, sizeof(path), "%s/alloc/%s/alloc/logs/t.stdout.0", env.data_dir, id);
	char *out = cli_slurp(path);
	cr_assert(out, "no log %s", path);
	const char *expected[] = {
		"WHERE=127.0.0.1:19999 in global\n", "NOMAD_PORT_adm=80\n", "NOMAD_ALLOC_PORT_adm=80\n",
		"NOMAD_HOST_PORT_adm=19999\n",        "NOMAD_IP_adm=127.0.0.1\n",
		"NOMAD_ADDR_adm=127.0.0.1:19999\n",   "NOMAD_HOST_ADDR_adm=127.0.0.1:19999\n",
	};
	for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++)
		cr_assert(strstr(out, expected[k]), "%s missing in: %s", expected[k], out);
	free(out);
	cli_result_clear(&r);
	free(job);
}

Test(cli_ports, exhausted_range_fails_the_allocation_with_a_clear_message)
{
	int held = 0;
	int held_fd = listen_on(&held);
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}},\n"
	                   " \"client\": {\"min_dynamic_port\": %d, \"max_dynamic_port\": %d}}\n",
	                   held, held) > 0);
	char *config = cli_write_file(&env, "agent-one.json", text);
	free(text);
	char *job = cli_write_file(
		&env, "full.json",
		"{\"Job\": {\"ID\": \"fj\", \"Name\": \"fj\", \"Type\": \"batch\",\n"
		" \"TaskGroups\": [{\"Name\": \"g\", \"Networks\": [{\"DynamicPorts\": [{\"Label\": \"http\"}]}],\n"
		"  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
		"   \"Config\": {\"command\": \"/bin/true\"}}]}]}}\n");
	cli_result r;
	const char *argv[] = {"run", "-config", config, "-plugin-dir", plugin_dir(), "-data-dir",
	                      env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_neq(r.exit_code, 0, "stdout: %s", r.out);
	cr_assert(strstr(r.err, "no free dynamic port for \"http\""), "stderr: %s", r.err);
	cr_assert(strstr(r.err, "group \"g\""), "stderr: %s", r.err);
	close(held_fd);
	cli_result_clear(&r);
	free(config);
	free(job);
}

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
#include <sqlite3.h>

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

/* run -detach of `job` with `config`: the allocation id (static buffer), or
 * NULL when the command failed (its stderr then in *err_out, malloc'd). */
static const char *detach(const char *config, const char *job, char **err_out)
{
	static char id[64];
	cli_result r;
	const char *argv[] = {"run", "-detach", "-config", config, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	const char *p = strstr(r.out, "Allocation \"");
	const char *result = NULL;
	if (r.exit_code == 0 && p && sscanf(p, "Allocation \"%63[^\"]\"", id) == 1)
		result = id;
	if (err_out)
		*err_out = strdup(r.err);
	cli_result_clear(&r);
	return result;
}

/* The host port the state store records for port `label` of (id, task). */
static int recorded_task_port(const char *id, const char *task, const char *label)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/state.db", env.data_dir);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	sqlite3_stmt *s = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db,
	                                "SELECT port FROM ports WHERE alloc_id = ?1 AND task = ?2"
	                                " AND label = ?3",
	                                -1, &s, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, task, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, label, -1, SQLITE_TRANSIENT);
	int port = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return port;
}

/* The host port the state store records for the group port "http" of `id`. */
static int recorded_port(const char *id)
{
	return recorded_task_port(id, "", "http");
}

/* A batch job holding the group port "http" until the file <root>/<go>
 * exists; no restarts. */
static char *held_job(const char *name, const char *go)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"batch\",\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\",\n"
	                   "  \"Networks\": [{\"DynamicPorts\": [{\"Label\": \"http\"}]}],\n"
	                   "  \"RestartPolicy\": {\"Attempts\": 0},\n"
	                   "  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
	                   "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\",\n"
	                   "     \"while [ ! -e %s/%s ]; do sleep 0.05; done\"]}}]}]}}\n",
	                   name, env.root, go) > 0);
	char file[64];
	snprintf(file, sizeof(file), "%s.json", name);
	char *path = cli_write_file(&env, file, text);
	free(text);
	return path;
}

/* Two live allocations never get the same port, even though neither task
 * binds it (so probing the host could not tell): the state store records who
 * holds each port. A dead allocation's port is free again. */
Test(cli_ports, live_allocations_of_separate_drover_processes_never_share_a_port)
{
	int lo = 0;
	int fd = listen_on(&lo);
	cr_assert(fd >= 0);
	close(fd); /* two ports from here on that nothing else is likely to hold */
	if (lo > 65534)
		lo = 65533;
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}},\n"
	                   " \"client\": {\"min_dynamic_port\": %d, \"max_dynamic_port\": %d}}\n",
	                   lo, lo + 1) > 0);
	char *config = cli_write_file(&env, "agent-two.json", text);
	free(text);
	char *job = held_job("held", "go");
	char *job2 = held_job("held2", "go2");
	const char *id = detach(config, job, NULL);
	cr_assert(id, "first run -detach failed");
	char first[64];
	snprintf(first, sizeof(first), "%s", id);
	id = detach(config, job2, NULL);
	cr_assert(id, "second run -detach failed");
	char second[64];
	snprintf(second, sizeof(second), "%s", id);
	int p1 = recorded_port(first), p2 = recorded_port(second);
	cr_assert(p1 >= lo && p1 <= lo + 1 && p2 >= lo && p2 <= lo + 1,
	          "ports %d and %d, range %d-%d", p1, p2, lo, lo + 1);
	cr_assert_neq(p1, p2, "two live allocations hold port %d", p1);

	char *err = NULL;
	cr_assert_null(detach(config, job, &err), "a third allocation got a port from a full range");
	cr_assert(strstr(err, "no free dynamic port for \"http\""), "stderr: %s", err);
	free(err);

	char *go = cli_write_file(&env, "go", "");
	free(go);
	cli_result r;
	const char *wait1[] = {"wait", "-config", config, "-plugin-dir", plugin_dir(), "-data-dir",
	                       env.data_dir, first, NULL};
	cli_run(&r, DEADLINE_MS, wait1);
	cr_assert_eq(r.exit_code, 0, "%s %s", r.out, r.err);
	cli_result_clear(&r);
	/* The first allocation is dead: its port can be handed out again. */
	id = detach(config, job, &err);
	cr_assert(id, "no port after an allocation died: %s", err);
	free(err);
	cr_assert_eq(recorded_port(id), p1, "the dead allocation's port is reused");
	go = cli_write_file(&env, "go2", "");
	free(go);
	free(config);
	free(job);
	free(job2);
}

/* A task's own port (legacy Resources.Networks) is taken once: every
 * restart of the task gets the port its first start recorded. */
Test(cli_ports, a_tasks_own_port_stays_the_same_across_restarts)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"rp\", \"Type\": \"batch\",\n"
	                   " \"TaskGroups\": [{\"Name\": \"g\",\n"
	                   "  \"RestartPolicy\": {\"Attempts\": 2, \"Delay\": 10000000,"
	                   " \"Interval\": 600000000000, \"Mode\": \"fail\"},\n"
	                   "  \"Tasks\": [{\"Name\": \"t\", \"Driver\": \"raw_exec\",\n"
	                   "   \"Resources\": {\"Networks\": [{\"DynamicPorts\": [{\"Label\": \"own\"}]}]},\n"
	                   "   \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\",\n"
	                   "     \"echo $NOMAD_PORT_own >> %s/seen; exit 3\"]}}]}]}}\n",
	                   env.root) > 0);
	char *job = cli_write_file(&env, "restart-ports.json", text);
	free(text);
	cli_result r;
	const char *argv[] = {"run", "-config", env.config_enabled, "-plugin-dir", plugin_dir(),
	                      "-data-dir", env.data_dir, job, NULL};
	cli_run(&r, DEADLINE_MS, argv);
	cr_assert_neq(r.exit_code, 0, "a task failing after its restarts fails the run: %s", r.out);
	cli_result_clear(&r);
	char id[256];
	cr_assert_eq(only_alloc(id, sizeof(id)), 1);
	int port = recorded_task_port(id, "t", "own");
	cr_assert_gt(port, 0, "no port recorded for task \"t\"");
	char path[400];
	snprintf(path, sizeof(path), "%s/seen", env.root);
	char *seen = cli_slurp(path);
	char want[64];
	snprintf(want, sizeof(want), "%d\n%d\n%d\n", port, port, port);
	cr_assert(seen && strcmp(seen, want) == 0, "three runs on port %d, saw \"%s\"", port, seen);
	free(seen);
	free(job);
}

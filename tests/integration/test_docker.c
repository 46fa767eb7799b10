/* The docker plugin through its descriptor against a real dockerd (and, for
 * pulls, a real registry on 127.0.0.1:5000; see scripts/test-services.sh).
 * Configs are JSON text checked against the plugin's own schemas by the host's
 * schema checker, so defaults apply as they do in `drover run`. Containers are
 * inspected through the Engine API to prove each field was applied.
 *
 * The test image is built locally once per run: `docker import` of a root
 * filesystem holding busybox-static. Nothing comes from the internet. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/options.h>
#include <curl/curl.h>

#include <drover/driver.h>

#include "docker_cpu.h"
#include "docker_http.h"
#include "docker_json.h"
#include "json.h"
#include "proc.h"
#include "schema_check.h"
#include "docker_fixture.h"
#include "plugin_fixture.h"
#include "test_support.h"
#include "test_wait.h"
#include "value_tree.h"

/* Task JSON names the test image by this token; task_config() puts this run's
 * own tag in its place (see run_image). */
#define IMAGE "@IMAGE@"

static struct {
	char root[256];
	char alloc_dir[300];
	char task_dir[320];
	char state_dir[320]; /* the host's private run dir for the task */
	char log_dir[320];
	void *so;
	const drover_driver *drv;
	drover_host host;
	drover_value plugin_cfg;
	drover_value task_cfg;
	void *ctx;
	docker_client client;
	char alloc_id[64];
	char cleanup[1024];   /* shell command teardown runs: what a failed test left */
} fx;

/* The test image of this run: "drover-test/busybox:r<runner pid>". Every
 * run (two engineers, CI and a developer on one dockerd) has its own tag, so
 * no run removes the image another is using. The runner names it in PRE_ALL
 * and hands it to the test processes through the environment. */
static char run_tag[64];

static const char *run_image(void)
{
	const char *env = getenv("DROVER_TEST_DOCKER_TAG");

	if (!run_tag[0])
		snprintf(run_tag, sizeof(run_tag), "%s", env && env[0] ? env : "");
	if (!run_tag[0])
		/* Run without the runner's hooks: a tag of this process's own. */
		snprintf(run_tag, sizeof(run_tag), "p%d", (int)getpid());
	return run_tag;
}

/* "drover-test/<what>:<run tag>", and the registry's "127.0.0.1:5000/..." */
static const char *run_ref(char *buf, size_t len, const char *registry, const char *what)
{
	snprintf(buf, len, "%s%sdrover-test/%s:%s", registry ? registry : "", registry ? "/" : "",
	         what, run_image());
	return buf;
}

static const char *image_ref(void)
{
	static char buf[128];
	return run_ref(buf, sizeof(buf), NULL, "busybox");
}

/* Builds the busybox image once per run, in the runner process before any
 * test: tests run in parallel processes, and two imports racing for one tag
 * would leave an untagged image behind. */
static int build_image(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	         "docker image inspect %s >/dev/null 2>&1 && exit 0; "
	         "set -e; d=$(mktemp -d); mkdir -p $d/bin; cp /bin/busybox $d/bin/busybox; "
	         "for a in sh sleep echo cat true false touch id ls; do ln -s busybox $d/bin/$a; done; "
	         "tar -C $d -cf $d.tar . ; docker import $d.tar %s >/dev/null; rm -rf $d $d.tar",
	         image_ref(), image_ref());
	return system(cmd) == 0;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char tag[32];

	(void)set;
	snprintf(tag, sizeof(tag), "r%d", (int)getpid());
	setenv("DROVER_TEST_DOCKER_TAG", tag, 1);
	if (docker_fixture_daemon_up() && !build_image()) {
		/* The tests that need it fail, naming the image. */
	}
}

static int ensure_image(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "docker image inspect %s >/dev/null 2>&1", image_ref());
	return system(cmd) == 0 || build_image();
}

static void setup(void)
{

	memset(&fx, 0, sizeof(fx));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(fx.root, sizeof(fx.root), "/tmp/drover-test-docker.XXXXXX");
	cr_assert_not_null(mkdtemp(fx.root));
	snprintf(fx.alloc_dir, sizeof(fx.alloc_dir), "%s/alloc1", fx.root);
	snprintf(fx.task_dir, sizeof(fx.task_dir), "%s/web", fx.alloc_dir);
	snprintf(fx.log_dir, sizeof(fx.log_dir), "%s/alloc/logs", fx.alloc_dir);
	cr_assert_eq(mkdir(fx.alloc_dir, 0755), 0);
	cr_assert_eq(mkdir(fx.task_dir, 0755), 0);
	snprintf(fx.state_dir, sizeof(fx.state_dir), "%s/run-web", fx.root);
	cr_assert_eq(mkdir(fx.state_dir, 0700), 0);
	{
		char p[400];
		snprintf(p, sizeof(p), "%s/local", fx.task_dir);
		cr_assert_eq(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/alloc", fx.alloc_dir);
		cr_assert_eq(mkdir(p, 0777), 0);
		cr_assert_eq(mkdir(fx.log_dir, 0755), 0);
	}
	/* A fresh allocation id per test: container names never collide. */
	snprintf(fx.alloc_id, sizeof(fx.alloc_id), "t%d-%lld", (int)getpid(), test_wait_now_ms());

	fx.drv = docker_fixture_load(&fx.so, &fx.host, &fx.client);
}

static void teardown(void)
{
	if (fx.ctx)
		fx.drv->fini(fx.ctx);
	if (fx.cleanup[0] && system(fx.cleanup) != 0) {
		/* Already gone when the test got to its end. */
	}
	drover_value_clear(&fx.plugin_cfg);
	drover_value_clear(&fx.task_cfg);
	docker_client_free(&fx.client);
	if (fx.so)
		dlclose(fx.so);
	test_rm_tree(fx.root);
	curl_global_cleanup();
}

/* Every test runs in its own process; the image they share goes once all ran. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "docker rmi -f %s >/dev/null 2>&1", image_ref());
	if (system(cmd) != 0) {
		/* No daemon, or no image: nothing to clean. */
	}
}

TestSuite(docker, .init = setup, .fini = teardown, .timeout = 120);

#define checked docker_fixture_checked

/* A configured plugin instance; skips (fails when strict) without a daemon. */
static void instance(const char *plugin_json)
{
	drover_err err = { "" };
	char first[512];

	drover_test_require(docker_fixture_daemon_up(), "no dockerd answers on /var/run/docker.sock "
	                    "(run scripts/test-services.sh start)");
	cr_assert(ensure_image(), "building the test image %s failed", image_ref());
	drover_value_clear(&fx.plugin_cfg);
	cr_assert_eq(checked(fx.drv->plugin_schema, plugin_json, &fx.plugin_cfg, first,
	                     sizeof(first)), 0, "%s", first);
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0, "init: %s", err.message);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &fx.plugin_cfg, &err), 0, "set_config: %s",
	             err.message);
}

static const char *const test_env[] = { "PATH=/bin", "NOMAD_TASK_DIR=/host/path",
	                                "NOMAD_HOST_PORT_http=18080", "NOMAD_IP_http=127.0.0.1",
	                                "GREETING=hello", NULL };

/* The task JSON with the run's image names in place of the tokens @IMAGE@,
 * @REGISTRY_IMAGE@ and @LOADED_IMAGE@; malloc'd. */
static char *expand_images(const char *json)
{
	static const char *const tokens[] = { "@IMAGE@", "@REGISTRY_IMAGE@", "@LOADED_IMAGE@" };
	char refs[3][160];
	size_t cap = strlen(json) * 2 + 1024, o = 0;
	char *out = malloc(cap);

	cr_assert_not_null(out);
	run_ref(refs[0], sizeof(refs[0]), NULL, "busybox");
	run_ref(refs[1], sizeof(refs[1]), "127.0.0.1:5000", "busybox");
	run_ref(refs[2], sizeof(refs[2]), NULL, "loaded");
	while (*json) {
		size_t k;
		for (k = 0; k < 3; k++)
			if (strncmp(json, tokens[k], strlen(tokens[k])) == 0)
				break;
		if (o + 200 >= cap) {
			cap *= 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
		if (k < 3) {
			o += (size_t)sprintf(out + o, "%s", refs[k]);
			json += strlen(tokens[k]);
		} else {
			out[o++] = *json++;
		}
	}
	out[o] = '\0';
	return out;
}

static drover_task_config task_config(const char *task_json)
{
	drover_task_config cfg;
	char first[512];
	char *json = expand_images(task_json);

	drover_value_clear(&fx.task_cfg);
	cr_assert_eq(checked(fx.drv->task_schema, json, &fx.task_cfg, first, sizeof(first)), 0,
	             "%s", first);
	free(json);
	memset(&cfg, 0, sizeof(cfg));
	cfg.struct_size = sizeof(cfg);
	cfg.id = "alloc1/web";
	cfg.job_id = "job";
	cfg.job_name = "job";
	cfg.group_name = "group";
	cfg.task_name = "web";
	cfg.alloc_id = fx.alloc_id;
	cfg.alloc_name = "job.group[0]";
	cfg.alloc_dir = fx.alloc_dir;
	cfg.task_dir = fx.task_dir;
	cfg.state_dir = fx.state_dir;
	cfg.log_dir = fx.log_dir;
	cfg.env = test_env;
	cfg.config = &fx.task_cfg;
	cfg.memory_mb = 64;
	cfg.cpu_mhz = 100;
	cfg.kill_signal = SIGTERM;
	cfg.kill_signal_set = 1;
	cfg.kill_timeout_ms = 5000;
	return cfg;
}

static drover_task *start(const char *task_json, drover_handle *handle)
{
	drover_task_config cfg = task_config(task_json);
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	int r = fx.drv->start(fx.ctx, &cfg, &task, &h, &err);

	cr_assert_eq(r, 0, "start: %d %s", r, err.message);
	cr_assert_not_null(task);
	if (handle)
		*handle = h;
	else
		free(h.data);
	return task;
}

static int start_fails(const char *task_json, const char *plugin_json, char *msg, size_t len)
{
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	int r;

	if (!fx.ctx)
		instance(plugin_json);
	cfg = task_config(task_json);
	r = fx.drv->start(fx.ctx, &cfg, &task, &h, &err);
	cr_assert_lt(r, 0, "start of %s should have failed", task_json);
	cr_assert_null(task);
	snprintf(msg, len, "%s", err.message);
	return r;
}

static drover_exit_result wait_exit(drover_task *task, long long deadline_ms)
{
	return plugin_fixture_wait_deadline(fx.drv, fx.ctx, task, deadline_ms);
}

static void destroy(drover_task *task)
{
	plugin_fixture_destroy(fx.drv, fx.ctx, task);
}

/* The container's inspection (GET /containers/<name>/json). */
static yajl_val inspect_container(const char *name_or_id, long *status)
{
	drover_err err = { "" };
	return docker_fixture_inspect(&fx.client, name_or_id, status, &err);
}

static const char *container_name(char *buf, size_t len)
{
	snprintf(buf, len, "web-%s", fx.alloc_id);
	return buf;
}

static int array_has(yajl_val arr, const char *s)
{
	if (!YAJL_IS_ARRAY(arr))
		return 0;
	for (size_t i = 0; i < arr->u.array.len; i++)
		if (YAJL_IS_STRING(arr->u.array.values[i]) &&
		    strcmp(arr->u.array.values[i]->u.string, s) == 0)
			return 1;
	return 0;
}

static long long int_at(yajl_val v, const char *a, const char *b)
{
	long long n = -999;
	docker_json_int(&n, v, a, b, NULL);
	return n;
}

static void docker_test_record(void *sink, const char *k, const char *v)
{
	char(*attrs)[2][128] = sink;
	for (int i = 0; i < 16; i++)
		if (!attrs[i][0][0]) {
			snprintf(attrs[i][0], 128, "%s", k);
			snprintf(attrs[i][1], 128, "%s", v);
			return;
		}
}

Test(docker, fingerprint_attributes)
{
	static char attrs[16][2][128];
	drover_fingerprint fp;
	drover_err err = { "" };
	int found_version = 0, found_runtimes = 0, found_os = 0, found_bridge = 0, found_priv = 0;

	instance("{\"allow_privileged\": true}");
	memset(&fp, 0, sizeof(fp));
	fp.struct_size = sizeof(fp);
	fp.set_attribute = docker_test_record;
	fp.sink = attrs;
	cr_assert_eq(fx.drv->fingerprint(fx.ctx, &fp, &err), 0, "%s", err.message);
	cr_assert_eq(fp.health, DROVER_HEALTH_HEALTHY, "%s", fp.description);
	for (int i = 0; i < 16 && attrs[i][0][0]; i++) {
		if (strcmp(attrs[i][0], "driver.docker") == 0)
			cr_assert_str_eq(attrs[i][1], "1");
		if (strcmp(attrs[i][0], "driver.docker.version") == 0)
			found_version = attrs[i][1][0] >= '0' && attrs[i][1][0] <= '9';
		if (strcmp(attrs[i][0], "driver.docker.runtimes") == 0)
			found_runtimes = strstr(attrs[i][1], "runc") != NULL;
		if (strcmp(attrs[i][0], "driver.docker.os_type") == 0)
			found_os = strcmp(attrs[i][1], "linux") == 0;
		if (strcmp(attrs[i][0], "driver.docker.bridge_ip") == 0)
			found_bridge = strchr(attrs[i][1], '.') != NULL;
		if (strcmp(attrs[i][0], "driver.docker.privileged.enabled") == 0)
			found_priv = 1;
		cr_assert_str_neq(attrs[i][0], "driver.docker.volumes.enabled",
		                  "volumes are disabled by default");
	}
	cr_assert(found_version, "driver.docker.version missing or not a version");
	cr_assert(found_runtimes, "driver.docker.runtimes missing or without runc");
	cr_assert(found_os, "driver.docker.os_type is not linux");
	cr_assert(found_bridge, "driver.docker.bridge_ip missing");
	cr_assert(found_priv, "driver.docker.privileged.enabled missing with allow_privileged");
}


Test(docker, unhealthy_when_no_daemon_answers)
{
	drover_fingerprint fp;
	drover_err err = { "" };
	drover_value cfg;
	char first[256];

	cr_assert_eq(checked(fx.drv->plugin_schema,
	                     "{\"endpoint\": \"unix:///nonexistent/docker.sock\"}", &cfg, first,
	                     sizeof(first)), 0, "%s", first);
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &cfg, &err), 0, "%s", err.message);
	drover_value_clear(&cfg);
	memset(&fp, 0, sizeof(fp));
	fp.struct_size = sizeof(fp);
	cr_assert_eq(fx.drv->fingerprint(fx.ctx, &fp, &err), 0);
	cr_assert_eq(fp.health, DROVER_HEALTH_UNHEALTHY);
	cr_assert(strstr(fp.description, "/nonexistent/docker.sock"), "%s", fp.description);
}

Test(docker, exit_code_propagates)
{
	drover_task *task;
	drover_exit_result res;

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", \"exit 7\"]}",
	             NULL);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 7);
	cr_assert_eq(res.oom_killed, 0);
	cr_assert_gt(res.exited_at_ms, 0);
	destroy(task);
}

Test(docker, stop_kills_after_timeout)
{
	drover_task *task;
	drover_exit_result res;
	drover_err err = { "" };
	long long t0;
	char name[128];
	long status;
	yajl_val v;

	instance("{}");
	/* As PID 1 without a handler, sleep ignores SIGTERM: only the kill ends it. */
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sleep\", \"args\": [\"1000\"]}", NULL);
	t0 = test_wait_now_ms();
	cr_assert_eq(fx.drv->stop(fx.ctx, task, SIGTERM, 1000, &err), 0, "stop: %s", err.message);
	cr_assert_geq(test_wait_now_ms() - t0, 900, "stop returned before the kill timeout");
	cr_assert_lt(test_wait_now_ms() - t0, 20000);
	res = wait_exit(task, 5000);
	cr_assert_eq(res.exit_code, 137, "exit code %d", res.exit_code);
	destroy(task);
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 404, "the container was not removed (gc.container defaults to true)");
	yajl_tree_free(v);
}

/* The signals Docker delivered to the container, in order ("15 9"), from the
 * daemon's own "kill" events between `since` (unix seconds) and now. */
static void kill_signals(const char *name, long long since, char *out, size_t len)
{
	char cmd[512];
	FILE *p;
	size_t o = 0;
	char line[64];

	snprintf(cmd, sizeof(cmd),
	         "docker events --since %lld --until %lld --filter container=%s "
	         "--filter event=kill --format '{{.Actor.Attributes.signal}}'",
	         since, (long long)time(NULL) + 1, name);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	out[0] = '\0';
	while (fgets(line, sizeof(line), p) && o + 8 < len) {
		line[strcspn(line, "\n")] = '\0';
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? " " : "", line);
	}
	pclose(p);
}

/* TestDockerDriver_StopSignal: without KillSignal a stop is Docker's own
 * (the image's STOPSIGNAL, else SIGTERM, then SIGKILL); with one, that signal
 * goes first and Docker's stop sequence follows the kill timeout. */
static void check_stop_signals(const char *image, int kill_signal, int set, const char *want)
{
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	char json[256], name[128], got[64], id[80];
	long status;
	yajl_val v;
	long long since = (long long)time(NULL) - 1;

	/* As PID 1 without handlers, sleep ignores every signal but SIGKILL. */
	snprintf(json, sizeof(json), "{\"image\": \"%s\", \"command\": \"sleep\", "
	         "\"args\": [\"1000\"]}", image);
	cfg = task_config(json);
	cfg.kill_signal = kill_signal;
	cfg.kill_signal_set = set;
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "start: %s", err.message);
	free(h.data);
	/* By id: the earlier cases' containers had the same name. */
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200);
	snprintf(id, sizeof(id), "%s", YAJL_GET_STRING(yajl_tree_get(v, (const char *[]){ "Id", NULL },
	                                                              yajl_t_string)));
	yajl_tree_free(v);
	cr_assert_eq(fx.drv->stop(fx.ctx, task, kill_signal, 1000, &err), 0, "stop: %s",
	             err.message);
	kill_signals(id, since, got, sizeof(got));
	cr_assert_str_eq(got, want, "%s, KillSignal %s: signals \"%s\", Nomad sends \"%s\"",
	                 image, set ? "set" : "unset", got, want);
	destroy(task);
}

Test(docker, stop_signal_follows_the_image_and_kill_signal, .timeout = 180)
{
	char ref[128], cmd[512];

	instance("{}");
	run_ref(ref, sizeof(ref), NULL, "stopsignal");
	snprintf(cmd, sizeof(cmd),
	         "printf 'FROM %s\nSTOPSIGNAL SIGUSR1\n' | DOCKER_BUILDKIT=0 docker build -q -t %s - "
	         ">/dev/null 2>&1",
	         image_ref(), ref);
	cr_assert_eq(system(cmd), 0, "building %s failed", ref);
	snprintf(fx.cleanup, sizeof(fx.cleanup), "docker rmi -f %s >/dev/null 2>&1", ref);

	check_stop_signals(image_ref(), SIGINT, 0, "15 9");
	check_stop_signals(ref, SIGINT, 0, "10 9");
	check_stop_signals(ref, SIGTERM, 1, "15 10 9");
	check_stop_signals(image_ref(), SIGTERM, 1, "15 15 9");
}

static int file_exists(void *path)
{
	return access(path, F_OK) == 0;
}

/* Waits for a file the container writes through a bind mount: inotify on the
 * host directory sees it appear. */
static int wait_file(const char *path, long long deadline_ms)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return test_wait_in_dir(slash ? dir : ".", file_exists, (void *)path, deadline_ms);
}

Test(docker, signal_reaches_the_task)
{
	drover_task *task;
	drover_exit_result res;
	drover_err err = { "" };
	char ready[400];

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	             "\"trap 'exit 42' USR1; touch /alloc/ready; while :; do sleep 0.05; done\"]}",
	             NULL);
	snprintf(ready, sizeof(ready), "%s/alloc/ready", fx.alloc_dir);
	cr_assert(wait_file(ready, 20000), "the task never installed its trap");
	cr_assert_eq(fx.drv->signal(fx.ctx, task, SIGUSR1, &err), 0, "signal: %s", err.message);
	res = wait_exit(task, 20000);
	cr_assert_eq(res.exit_code, 42);
	destroy(task);
}

Test(docker, container_has_the_configured_fields)
{
	drover_task *task;
	drover_err err = { "" };
	char name[128];
	long status;
	yajl_val v, hc;
	drover_task_status st;

	instance("{\"extra_labels\": [\"job_*\"], \"pids_limit\": 200}");
	task = start("{\"image\": \"" IMAGE "\", \"entrypoint\": [\"/bin/sh\", \"-c\"], "
	             "\"args\": [\"sleep 1000\"], \"work_dir\": \"/tmp\", "
	             "\"labels\": {\"team\": \"blue\"}, \"hostname\": \"drover-host\", "
	             "\"dns_servers\": [\"127.0.0.53\"], \"dns_search_domains\": [\"example.test\"], "
	             "\"dns_options\": [\"ndots:2\"], \"extra_hosts\": [\"db:10.0.0.9\"], "
	             "\"init\": true, \"tty\": true, \"interactive\": true, "
	             "\"sysctl\": {\"net.core.somaxconn\": \"512\"}, "
	             "\"ulimit\": {\"nofile\": \"1024:2048\"}, \"readonly_rootfs\": true, "
	             "\"pids_limit\": 100, \"shm_size\": 1048576, \"cap_add\": [\"chown\"], "
	             "\"cap_drop\": [\"mknod\"], \"security_opt\": [\"no-new-privileges\"], "
	             "\"memory_hard_limit\": 128, \"oom_score_adj\": 100, "
	             "\"group_add\": [\"100\"], \"ports\": [\"http\"], \"port_map\": {\"http\": 8080}, "
	             "\"logging\": {\"type\": \"json-file\", \"config\": {\"max-size\": \"1m\"}}, "
	             "\"healthchecks\": {\"disable\": true}, "
	             "\"mount\": [{\"type\": \"tmpfs\", \"target\": \"/scratch\", "
	             "\"tmpfs_options\": {\"size\": 1048576}}], "
	             "\"volumes\": [\"local:/data:ro\"]}",
	             NULL);
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(docker_json_str(v, "Config", "Labels", "team", NULL), "blue");
	cr_assert_str_eq(docker_json_str(v, "Config", "Labels", "com.hashicorp.nomad.alloc_id", NULL),
	                 fx.alloc_id);
	cr_assert_str_eq(docker_json_str(v, "Config", "Labels", "com.hashicorp.nomad.job_name", NULL),
	                 "job");
	cr_assert_null(docker_json_str(v, "Config", "Labels", "com.hashicorp.nomad.task_group_name",
	                               NULL), "extra_labels job_* matched task_group_name");
	cr_assert_str_eq(docker_json_str(v, "Config", "Hostname", NULL), "drover-host");
	cr_assert_str_eq(docker_json_str(v, "Config", "WorkingDir", NULL), "/tmp");
	cr_assert(array_has(docker_json_at(v, "Config", "Entrypoint", NULL), "/bin/sh"));
	cr_assert(array_has(docker_json_at(v, "Config", "Cmd", NULL), "sleep 1000"));
	cr_assert(array_has(docker_json_at(v, "Config", "Env", NULL), "GREETING=hello"));
	cr_assert(array_has(docker_json_at(v, "Config", "Env", NULL), "NOMAD_TASK_DIR=/local"));
	cr_assert(!array_has(docker_json_at(v, "Config", "Env", NULL), "NOMAD_TASK_DIR=/host/path"));
	cr_assert(docker_json_bool(v, "Config", "Tty", NULL));
	cr_assert(docker_json_bool(v, "Config", "OpenStdin", NULL));
	cr_assert(array_has(docker_json_at(v, "Config", "Healthcheck", "Test", NULL), "NONE"));
	cr_assert(docker_json_at(v, "Config", "ExposedPorts", "8080/tcp", NULL) != NULL);
	cr_assert(docker_json_at(v, "Config", "ExposedPorts", "8080/udp", NULL) != NULL);

	hc = docker_json_at(v, "HostConfig", NULL);
	cr_assert(array_has(docker_json_at(hc, "Dns", NULL), "127.0.0.53"));
	cr_assert(array_has(docker_json_at(hc, "DnsSearch", NULL), "example.test"));
	cr_assert(array_has(docker_json_at(hc, "DnsOptions", NULL), "ndots:2"));
	cr_assert(array_has(docker_json_at(hc, "ExtraHosts", NULL), "db:10.0.0.9"));
	cr_assert(docker_json_bool(hc, "Init", NULL));
	cr_assert(docker_json_bool(hc, "ReadonlyRootfs", NULL));
	cr_assert(!docker_json_bool(hc, "Privileged", NULL));
	cr_assert_str_eq(docker_json_str(hc, "Sysctls", "net.core.somaxconn", NULL), "512");
	{
		yajl_val ul = docker_json_at(hc, "Ulimits", NULL);
		cr_assert(YAJL_IS_ARRAY(ul) && ul->u.array.len == 1);
		cr_assert_str_eq(docker_json_str(ul->u.array.values[0], "Name", NULL), "nofile");
		cr_assert_eq(int_at(ul->u.array.values[0], "Soft", NULL), 1024);
		cr_assert_eq(int_at(ul->u.array.values[0], "Hard", NULL), 2048);
	}
	cr_assert_eq(int_at(hc, "PidsLimit", NULL), 100);
	cr_assert_eq(int_at(hc, "ShmSize", NULL), 1048576);
	cr_assert_eq(int_at(hc, "Memory", NULL), 128LL * 1024 * 1024);
	cr_assert_eq(int_at(hc, "MemoryReservation", NULL), 64LL * 1024 * 1024);
	cr_assert_eq(int_at(hc, "CpuShares", NULL), 100);
	cr_assert_eq(int_at(hc, "OomScoreAdj", NULL), 100);
	cr_assert(array_has(docker_json_at(hc, "CapAdd", NULL), "chown"));
	cr_assert(array_has(docker_json_at(hc, "CapDrop", NULL), "mknod"));
	cr_assert(array_has(docker_json_at(hc, "CapDrop", NULL), "NET_RAW"),
	          "NET_RAW, outside the default allow_caps, is not dropped");
	cr_assert(array_has(docker_json_at(hc, "SecurityOpt", NULL), "no-new-privileges"));
	cr_assert(array_has(docker_json_at(hc, "GroupAdd", NULL), "100"));
	cr_assert_str_eq(docker_json_str(hc, "LogConfig", "Type", NULL), "json-file");
	cr_assert_str_eq(docker_json_str(hc, "LogConfig", "Config", "max-size", NULL), "1m");
	{
		yajl_val pb = docker_json_at(hc, "PortBindings", "8080/tcp", NULL);
		cr_assert(YAJL_IS_ARRAY(pb) && pb->u.array.len == 1);
		cr_assert_str_eq(docker_json_str(pb->u.array.values[0], "HostIp", NULL), "127.0.0.1");
		cr_assert_str_eq(docker_json_str(pb->u.array.values[0], "HostPort", NULL), "18080");
	}
	{
		char bind[400];
		snprintf(bind, sizeof(bind), "%s/alloc:/alloc", fx.alloc_dir);
		cr_assert(array_has(docker_json_at(hc, "Binds", NULL), bind), "no %s bind", bind);
		snprintf(bind, sizeof(bind), "%s/local:/data:ro", fx.task_dir);
		cr_assert(array_has(docker_json_at(hc, "Binds", NULL), bind), "no %s bind", bind);
	}
	{
		yajl_val m = docker_json_at(hc, "Mounts", NULL);
		cr_assert(YAJL_IS_ARRAY(m) && m->u.array.len == 1);
		cr_assert_str_eq(docker_json_str(m->u.array.values[0], "Type", NULL), "tmpfs");
		cr_assert_str_eq(docker_json_str(m->u.array.values[0], "Target", NULL), "/scratch");
	}
	memset(&st, 0, sizeof(st));
	st.struct_size = sizeof(st);
	cr_assert_eq(fx.drv->inspect(fx.ctx, task, &st, &err), 0, "%s", err.message);
	cr_assert_eq(st.state, DROVER_TASK_RUNNING);
	cr_assert_gt(st.pid, 0);
	cr_assert(strstr(st.detail, docker_json_str(v, "Id", NULL)));
	yajl_tree_free(v);
	cr_assert_eq(fx.drv->destroy(fx.ctx, task, 0, &err), -EBUSY, "destroy of a running task");
	destroy(task);
}

/* The LogConfig of a sleeping task's container under `plugin_json`, checked
 * against `type` and one option, then the task is destroyed and the plugin
 * instance closed. */
static void check_log_config(const char *plugin_json, const char *task_json, const char *type,
                             const char *key, const char *value, const char *absent_key)
{
	drover_task *task;
	char name[128];
	long status;
	yajl_val v;

	instance(plugin_json);
	task = start(task_json, NULL);
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(docker_json_str(v, "HostConfig", "LogConfig", "Type", NULL), type,
	                 "plugin %s, task %s", plugin_json, task_json);
	cr_assert_str_eq(docker_json_str(v, "HostConfig", "LogConfig", "Config", key, NULL), value,
	                 "plugin %s, task %s: %s", plugin_json, task_json, key);
	if (absent_key)
		cr_assert_null(docker_json_str(v, "HostConfig", "LogConfig", "Config", absent_key,
		                               NULL), "plugin %s, task %s: %s is set", plugin_json,
		               task_json, absent_key);
	yajl_tree_free(v);
	cr_assert_eq(fx.drv->stop(fx.ctx, task, SIGKILL, 0, &(drover_err){ "" }), 0);
	wait_exit(task, 20000);
	destroy(task);
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
}

Test(docker, plugin_logging_is_the_default_of_tasks_without_their_own)
{
	static const char sleeper[] =
		"{\"image\": \"" IMAGE "\", \"command\": \"sleep\", \"args\": [\"1000\"]}";
	static const char plugin[] =
		"{\"logging\": {\"type\": \"json-file\", \"config\": {\"max-size\": \"3m\", "
		"\"max-file\": \"4\", \"labels\": \"team\"}}}";

	/* No block: Nomad's default. */
	check_log_config("{}", sleeper, "json-file", "max-size", "2m", "labels");
	/* The plugin's block for a task without `logging`. */
	check_log_config(plugin, sleeper, "json-file", "max-file", "4", NULL);
	check_log_config(plugin, sleeper, "json-file", "labels", "team", NULL);
	/* The task's block wins whole: none of the plugin's options leak in. */
	check_log_config(plugin,
	                 "{\"image\": \"" IMAGE "\", \"command\": \"sleep\", \"args\": [\"1000\"], "
	                 "\"logging\": {\"type\": \"json-file\", \"config\": {\"max-size\": "
	                 "\"1m\"}}}",
	                 "json-file", "max-size", "1m", "max-file");
}

/* This host has no SELinux, and the daemon accepts (and starts with) the
 * label anyway: the container's own Binds prove what was asked of it. */
Test(docker, selinuxlabel_is_appended_to_every_bind)
{
	drover_task *task;
	char name[128], bind[400];
	long status;
	yajl_val v, binds;

	instance("{\"volumes\": {\"selinuxlabel\": \"z\"}}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	             "\"touch /alloc/ok && sleep 1000\"], "
	             "\"volumes\": [\"local:/data:ro\", \"secrets:/s\"]}",
	             NULL);
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200);
	binds = docker_json_at(v, "HostConfig", "Binds", NULL);
	cr_assert(YAJL_IS_ARRAY(binds) && binds->u.array.len == 6);
	snprintf(bind, sizeof(bind), "%s/alloc:/alloc:z", fx.alloc_dir);
	cr_assert(array_has(binds, bind), "no %s bind", bind);
	/* The logs are the logger's: read-only over the read-write alloc/. */
	snprintf(bind, sizeof(bind), "%s/alloc/logs:/alloc/logs:ro,z", fx.alloc_dir);
	cr_assert(array_has(binds, bind), "no %s bind", bind);
	snprintf(bind, sizeof(bind), "%s/local:/local:z", fx.task_dir);
	cr_assert(array_has(binds, bind), "no %s bind", bind);
	snprintf(bind, sizeof(bind), "%s/secrets:/secrets:z", fx.task_dir);
	cr_assert(array_has(binds, bind), "no %s bind", bind);
	/* One mode field: "ro,z", never "ro:z". */
	snprintf(bind, sizeof(bind), "%s/local:/data:ro,z", fx.task_dir);
	cr_assert(array_has(binds, bind), "no %s bind", bind);
	snprintf(bind, sizeof(bind), "%s/secrets:/s:z", fx.task_dir);
	cr_assert(array_has(binds, bind), "no %s bind", bind);
	yajl_tree_free(v);
	/* The relabelled binds work: the task wrote through /alloc. */
	snprintf(bind, sizeof(bind), "%s/alloc/ok", fx.alloc_dir);
	cr_assert(wait_file(bind, 20000), "the task never wrote %s", bind);
	cr_assert_eq(fx.drv->stop(fx.ctx, task, SIGKILL, 0, &(drover_err){ "" }), 0);
	wait_exit(task, 20000);
	destroy(task);
}

Test(docker, unimplemented_fields_are_refused_by_the_schema)
{
	static const char *const fields[] = { "advertise_ipv6_address", "SSL", "isolation", NULL };
	drover_value out;
	char first[512], json[256];

	for (size_t i = 0; fields[i]; i++) {
		snprintf(json, sizeof(json), "{\"image\": \"x\", \"%s\": true}", fields[i]);
		cr_assert_eq(checked(fx.drv->task_schema, json, &out, first, sizeof(first)), -EINVAL,
		             "%s was accepted", fields[i]);
		cr_assert(strstr(first, fields[i]), "the error does not name %s: %s", fields[i], first);
	}
	cr_assert_eq(checked(fx.drv->plugin_schema,
	                     "{\"windows_allow_insecure_container_admin\": true}", &out, first,
	                     sizeof(first)), -EINVAL);
	cr_assert(strstr(first, "windows_allow_insecure_container_admin"), "%s", first);
	/* infra_image is known, and must be a string. */
	cr_assert_eq(checked(fx.drv->plugin_schema, "{\"infra_image\": 5}", &out, first,
	                     sizeof(first)), -EINVAL);
	cr_assert(strstr(first, "infra_image"), "%s", first);
	cr_assert_eq(checked(fx.drv->plugin_schema, "{\"auth\": {\"config\": [\"x\"]}}", &out, first,
	                     sizeof(first)), -EINVAL);
	cr_assert(strstr(first, "config"), "%s", first);
}

/* The host's CPU as the driver sees it, checked against sysconf and the
 * frequency files, and the quota it derives (Nomad's formula). */
Test(docker, cpu_quota_follows_the_task_share_of_the_host)
{
	long long total = 0;
	int cores = 0;

	cr_assert_eq(docker_cpu_host(&total, &cores), 0);
	cr_assert_eq(cores, sysconf(_SC_NPROCESSORS_ONLN));
	cr_assert_gt(total, 0);
	cr_assert_eq(total % cores, 0);
	/* A task worth one core's MHz gets one period on a multi-core host. */
	cr_assert_eq(docker_cpu_quota(total / cores, total, cores, 100000), 100000);
	cr_assert_eq(docker_cpu_quota(total, total, cores, 50000), 50000LL * cores);
	cr_assert_eq(docker_cpu_quota(1, total, cores, 100000), DOCKER_CFS_QUOTA_MIN,
	             "a quota below docker's floor of 1000 us");
	cr_assert_eq(docker_cpu_quota(total * 4, total, cores, 100000), 100000LL * cores,
	             "more than the host is capped at the host");
}

/* cpu_hard_limit, cpu_cfs_period, cpuset_cpus, network_aliases, ipv4_address,
 * ipv6_address, volume_driver and `mounts` with volume_options, read back from
 * the container. The network and volumes are this test's own. */
Test(docker, network_cpu_and_volume_fields_are_applied)
{
	char net[96], vol1[96], vol2[96], cmd[1200], json[3000], name[128], v4[32];
	int octet = (int)(getpid() % 200) + 20;
	long long total = 0, period = 50000;
	int cores = 0;
	drover_task *task;
	yajl_val v, hc, ep, m;
	long status;

	instance("{\"volumes\": {\"enabled\": true}}");
	snprintf(net, sizeof(net), "drover-net-%s", fx.alloc_id);
	snprintf(vol1, sizeof(vol1), "drover-vol1-%s", fx.alloc_id);
	snprintf(vol2, sizeof(vol2), "drover-vol2-%s", fx.alloc_id);
	snprintf(v4, sizeof(v4), "10.213.%d.10", octet);
	snprintf(cmd, sizeof(cmd), "docker network create --subnet 10.213.%d.0/24 --ipv6 "
	         "--subnet fd00:d0:%x::/64 %s >/dev/null", octet, octet, net);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(fx.cleanup, sizeof(fx.cleanup), "{ docker rm -f web-%s; docker network rm %s; "
	         "docker volume rm %s %s; } >/dev/null 2>&1", fx.alloc_id, net, vol1, vol2);
	snprintf(json, sizeof(json),
	         "{\"image\": \"@IMAGE@\", \"command\": \"sleep\", \"args\": [\"1000\"], "
	         "\"network_mode\": \"%s\", \"network_aliases\": [\"svc-a\", \"svc-b\"], "
	         "\"ipv4_address\": \"%s\", \"ipv6_address\": \"fd00:d0:%x::10\", "
	         "\"cpu_hard_limit\": true, \"cpu_cfs_period\": %lld, \"cpuset_cpus\": \"0\", "
	         "\"volume_driver\": \"local\", \"volumes\": [\"%s:/vol\", \"./local:/l\"], "
	         "\"mounts\": [{\"target\": \"/m\", \"source\": \"%s\", "
	         "\"volume_options\": {\"no_copy\": true, \"labels\": {\"team\": \"blue\"}, "
	         "\"driver_config\": {\"name\": \"local\"}}}]}",
	         net, v4, octet, period, vol1, vol2);
	task = start(json, NULL);
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200);
	hc = docker_json_at(v, "HostConfig", NULL);
	cr_assert_eq(docker_cpu_host(&total, &cores), 0);
	cr_assert_eq(int_at(hc, "CpuPeriod", NULL), period);
	cr_assert_eq(int_at(hc, "CpuQuota", NULL), docker_cpu_quota(100, total, cores, period),
	             "quota %lld for 100 MHz of %lld on %d cores", int_at(hc, "CpuQuota", NULL),
	             total, cores);
	cr_assert_str_eq(docker_json_str(hc, "CpusetCpus", NULL), "0");
	cr_assert_str_eq(docker_json_str(hc, "VolumeDriver", NULL), "local");
	snprintf(cmd, sizeof(cmd), "%s:/vol", vol1);
	cr_assert(array_has(docker_json_at(hc, "Binds", NULL), cmd), "no %s bind", cmd);
	snprintf(cmd, sizeof(cmd), "%s/local:/l", fx.task_dir);
	cr_assert(array_has(docker_json_at(hc, "Binds", NULL), cmd), "a path is still a bind");
	m = docker_json_at(hc, "Mounts", NULL);
	cr_assert(YAJL_IS_ARRAY(m) && m->u.array.len == 1);
	m = m->u.array.values[0];
	cr_assert_str_eq(docker_json_str(m, "Type", NULL), "volume");
	cr_assert_str_eq(docker_json_str(m, "Source", NULL), vol2);
	cr_assert(docker_json_bool(m, "VolumeOptions", "NoCopy", NULL));
	cr_assert_str_eq(docker_json_str(m, "VolumeOptions", "Labels", "team", NULL), "blue");
	cr_assert_str_eq(docker_json_str(m, "VolumeOptions", "DriverConfig", "Name", NULL), "local");
	ep = docker_json_at(v, "NetworkSettings", "Networks", net, NULL);
	cr_assert_not_null(ep, "the container is not on %s", net);
	cr_assert_str_eq(docker_json_str(ep, "IPAMConfig", "IPv4Address", NULL), v4);
	cr_assert_str_eq(docker_json_str(ep, "IPAddress", NULL), v4);
	snprintf(cmd, sizeof(cmd), "fd00:d0:%x::10", octet);
	cr_assert_str_eq(docker_json_str(ep, "IPAMConfig", "IPv6Address", NULL), cmd);
	cr_assert(array_has(docker_json_at(ep, "Aliases", NULL), "svc-a"));
	cr_assert(array_has(docker_json_at(ep, "Aliases", NULL), "svc-b"));
	yajl_tree_free(v);
	destroy(task);
	snprintf(cmd, sizeof(cmd), "docker network rm %s >/dev/null && docker volume rm %s %s "
	         ">/dev/null", net, vol1, vol2);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(docker, gated_and_bad_values_are_refused_naming_the_field)
{
	static const struct {
		const char *json, *needle;
	} cases[] = {
		{ "{\"image\": \"" IMAGE "\", \"privileged\": true}", "\"privileged\"" },
		{ "{\"image\": \"" IMAGE "\", \"pid_mode\": \"host\"}", "\"pid_mode\"" },
		{ "{\"image\": \"" IMAGE "\", \"volumes\": [\"/etc:/host-etc\"]}", "\"volumes[0]\"" },
		{ "{\"image\": \"" IMAGE "\", \"volumes\": [\"../../../etc:/x\"]}", "\"volumes[0]\"" },
		{ "{\"image\": \"" IMAGE "\", \"volumes\": [\"nocolon\"]}", "\"volumes[0]\"" },
		{ "{\"image\": \"" IMAGE "\", \"cap_add\": [\"SYS_ADMIN\"]}", "\"cap_add\"" },
		{ "{\"image\": \"" IMAGE "\", \"runtime\": \"kata\"}", "\"runtime\"" },
		{ "{\"image\": \"" IMAGE "\", \"ulimit\": {\"nofile\": \"lots\"}}", "\"ulimit\"" },
		{ "{\"image\": \"" IMAGE "\", \"pids_limit\": 5000}", "\"pids_limit\"" },
		{ "{\"image\": \"" IMAGE "\", \"ports\": [\"nope\"]}", "\"ports\"" },
		{ "{\"image\": \"" IMAGE "\", \"port_map\": {\"http\": 700000}}", "\"port_map\"" },
		{ "{\"image\": \"" IMAGE "\", \"mount\": [{\"type\": \"bind\", \"target\": \"/x\", "
		  "\"source\": \"/etc\"}]}", "\"mount[0]\"" },
		{ "{\"image\": \"" IMAGE "\", \"mount\": [{\"type\": \"nfs\", \"target\": \"/x\"}]}",
		  "\"mount[0]\"" },
		{ "{\"image\": \"" IMAGE "\", \"devices\": [{\"host_path\": \"/dev/null\", "
		  "\"cgroup_permissions\": \"rwx\"}]}", "\"devices[0]\"" },
		{ "{\"image\": \"" IMAGE "\", \"labels\": {\"com.hashicorp.nomad.alloc_id\": \"x\"}}",
		  "\"labels\"" },
		{ "{\"image\": \"" IMAGE "\", \"load\": \"../../etc/passwd\"}", "\"load\"" },
		{ "{\"image\": \"" IMAGE "\", \"image_pull_timeout\": \"soon\"}",
		  "\"image_pull_timeout\"" },
		{ "{\"image\": \"" IMAGE "\", \"oom_score_adj\": 5000}", "\"oom_score_adj\"" },
		{ "{\"image\": \"" IMAGE "\", \"work_dir\": \"relative\"}", "\"work_dir\"" },
		{ "{\"image\": \"" IMAGE "\", \"ipv4_address\": \"10.1.2.3\"}", "\"ipv4_address\"" },
		{ "{\"image\": \"" IMAGE "\", \"network_mode\": \"host\", "
		  "\"network_aliases\": [\"a\"]}", "\"network_aliases\"" },
		{ "{\"image\": \"" IMAGE "\", \"network_mode\": \"mynet\", "
		  "\"ipv4_address\": \"10.1.2\"}", "\"ipv4_address\"" },
		{ "{\"image\": \"" IMAGE "\", \"network_mode\": \"mynet\", "
		  "\"ipv6_address\": \"10.1.2.3\"}", "\"ipv6_address\"" },
		{ "{\"image\": \"" IMAGE "\", \"cpu_hard_limit\": true, \"cpu_cfs_period\": 5000000}",
		  "\"cpu_cfs_period\"" },
		{ "{\"image\": \"" IMAGE "\", \"cpuset_cpus\": \"0;rm -rf\"}", "\"cpuset_cpus\"" },
		{ "{\"image\": \"" IMAGE "\", \"volume_driver\": \"local\", "
		  "\"volumes\": [\"v:/x\"]}", "\"volume_driver\"" },
		{ "{\"image\": \"" IMAGE "\", \"mounts\": [{\"target\": \"/x\", \"source\": \"v\"}]}",
		  "\"mounts[0]\"" },
		{ "{\"image\": \"" IMAGE "\", \"mount\": [{\"type\": \"tmpfs\", \"target\": \"/x\", "
		  "\"volume_options\": {\"no_copy\": true}}]}", "\"mount[0]\"" },
	};
	char msg[DROVER_ERR_MESSAGE_MAX], name[128];
	long status;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start_fails(cases[i].json, "{\"pids_limit\": 1000}", msg, sizeof(msg));
		cr_assert(strstr(msg, cases[i].needle), "case %zu: the error does not name %s: %s", i,
		          cases[i].needle, msg);
	}
	yajl_tree_free(inspect_container(container_name(name, sizeof(name)), &status));
	cr_assert_eq(status, 404, "a refused task left a container behind");
}

Test(docker, bad_plugin_options_are_refused_naming_the_option)
{
	static const struct {
		const char *json, *needle;
	} cases[] = {
		{ "{\"pull_activity_timeout\": \"10s\"}", "pull_activity_timeout" },
		{ "{\"image_pull_timeout\": \"5 minutes\"}", "image_pull_timeout" },
		{ "{\"endpoint\": \"npipe:////./pipe/docker_engine\"}", "npipe" },
		{ "{\"tls\": {\"ca\": \"/x\"}}", "tls" },
		{ "{\"extra_labels\": [\"hostname\"]}", "extra_labels" },
		{ "{\"pids_limit\": -1}", "pids_limit" },
		{ "{\"auth\": {\"helper\": \"/usr/bin/docker-credential-x\"}}", "auth.helper" },
		{ "{\"auth\": {\"helper\": \"x; rm -rf /\"}}", "auth.helper" },
		{ "{\"auth\": {\"config\": \"relative/config.json\"}}", "auth.config" },
		{ "{\"infra_image\": \"\"}", "infra_image" },
		{ "{\"infra_image\": \"pause with spaces\"}", "infra_image" },
		{ "{\"infra_image_pull_timeout\": \"soon\"}", "infra_image_pull_timeout" },
		{ "{\"logging\": {\"type\": \"\"}}", "logging.type" },
		{ "{\"logging\": {\"type\": \"json-file; rm\"}}", "logging.type" },
		{ "{\"volumes\": {\"selinuxlabel\": \"shared\"}}", "volumes.selinuxlabel" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drover_value cfg;
		drover_err err = { "" };
		void *ctx = NULL;
		char first[256];
		cr_assert_eq(checked(fx.drv->plugin_schema, cases[i].json, &cfg, first, sizeof(first)),
		             0, "%s", first);
		cr_assert_eq(fx.drv->init(&fx.host, &ctx, &err), 0);
		cr_assert_lt(fx.drv->set_config(ctx, &cfg, &err), 0, "case %zu accepted", i);
		cr_assert(strstr(err.message, cases[i].needle), "case %zu: %s", i, err.message);
		fx.drv->fini(ctx);
		drover_value_clear(&cfg);
	}
}

Test(docker, recover_by_handle_after_reload)
{
	drover_task *task, *again = NULL;
	drover_handle h;
	drover_err err = { "" };
	drover_exit_result res;
	drover_task_config cfg;
	unsigned char junk[] = "drover-docker 1\nnot-an-id\n5\n";

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sleep\", \"args\": [\"1000\"]}", &h);
	(void)task;
	/* The host goes away: the container keeps running, the handle is all there is. */
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
	dlclose(fx.so);
	fx.so = dlopen(DOCKER_SO, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(fx.so);
	fx.drv = ((drover_driver_entry_fn)dlsym(fx.so, DROVER_DRIVER_ENTRY_SYMBOL))();
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &fx.plugin_cfg, &err), 0);
	cfg = task_config("{\"image\": \"" IMAGE "\"}");
	cr_assert_eq(fx.drv->recover(fx.ctx, &cfg, junk, sizeof(junk) - 1, &again, &err), -EINVAL);
	cr_assert_eq(fx.drv->recover(fx.ctx, &cfg, h.data, h.len, &again, &err), 0, "recover: %s",
	             err.message);
	free(h.data);
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	cr_assert_eq(fx.drv->wait(fx.ctx, again, DROVER_WAIT_NOHANG, &res, &err), -EAGAIN,
	             "the recovered container is not running");
	cr_assert_eq(fx.drv->stop(fx.ctx, again, SIGKILL, 0, &err), 0, "%s", err.message);
	res = wait_exit(again, 10000);
	cr_assert_eq(res.exit_code, 137);
	destroy(again);
}

/* The host died while start ran: no handle was recorded. recover without
 * one removes the container the task's name names, so that the task never
 * runs twice or unwatched (issue 12). */
Test(docker, recover_without_a_handle_removes_what_start_left)
{
	drover_task *task, *again = NULL;
	drover_handle h;
	drover_err err = { "" };
	drover_task_config cfg;

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sleep\", \"args\": [\"1000\"]}", &h);
	(void)task;
	free(h.data);
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
	dlclose(fx.so);
	fx.so = dlopen(DOCKER_SO, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(fx.so);
	fx.drv = ((drover_driver_entry_fn)dlsym(fx.so, DROVER_DRIVER_ENTRY_SYMBOL))();
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &fx.plugin_cfg, &err), 0);
	cfg = task_config("{\"image\": \"" IMAGE "\"}");
	cr_assert_eq(fx.drv->recover(fx.ctx, &cfg, NULL, 0, &again, &err), -ENOENT);
	cr_assert_null(again);
	cr_assert(strstr(err.message, "what was left of it was removed"), "%s", err.message);
	err.message[0] = '\0';
	cr_assert_eq(fx.drv->recover(fx.ctx, &cfg, NULL, 0, &again, &err), -ENOENT);
	cr_assert(strstr(err.message, "nothing of it was left running"), "%s", err.message);
}

Test(docker, force_pull_from_the_local_registry)
{
	drover_task *task;
	drover_exit_result res;
	char msg[DROVER_ERR_MESSAGE_MAX];

	instance("{}");
	drover_test_require(system("curl -sf --max-time 2 http://127.0.0.1:5000/v2/ >/dev/null") == 0,
	                    "no registry on 127.0.0.1:5000 (run scripts/test-services.sh start)");
	{
		char cmd[1024], reg[160];
		run_ref(reg, sizeof(reg), "127.0.0.1:5000", "busybox");
		snprintf(cmd, sizeof(cmd), "docker tag %s %s && docker push -q %s >/dev/null && "
		         "docker rmi %s >/dev/null", image_ref(), reg, reg, reg);
		cr_assert_eq(system(cmd), 0);
	}
	task = start("{\"image\": \"@REGISTRY_IMAGE@\", \"force_pull\": true, \"command\": \"sh\", "
	             "\"args\": [\"-c\", \"exit 3\"]}", NULL);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 3);
	destroy(task);
	{
		char cmd[300], reg[160];
		snprintf(cmd, sizeof(cmd), "docker rmi %s >/dev/null",
		         run_ref(reg, sizeof(reg), "127.0.0.1:5000", "busybox"));
		cr_assert_eq(system(cmd), 0);
	}
	/* A missing image is an error carrying the registry's word. */
	start_fails("{\"image\": \"127.0.0.1:5000/drover-test/absent:1\"}", "{}", msg, sizeof(msg));
	cr_assert(strstr(msg, "127.0.0.1:5000/drover-test/absent:1"), "%s", msg);
}

Test(docker, load_from_a_tarball_in_local)
{
	drover_task *task;
	drover_exit_result res;
	char cmd[1200];

	instance("{}");
	char loaded[160];

	run_ref(loaded, sizeof(loaded), NULL, "loaded");
	snprintf(cmd, sizeof(cmd), "docker tag %s %s && docker save -o %s/local/img.tar %s && "
	         "docker rmi %s >/dev/null", image_ref(), loaded, fx.task_dir, loaded, loaded);
	cr_assert_eq(system(cmd), 0);
	task = start("{\"image\": \"@LOADED_IMAGE@\", \"load\": \"img.tar\", \"command\": \"true\"}",
	             NULL);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 0);
	destroy(task);
	snprintf(cmd, sizeof(cmd), "docker rmi %s >/dev/null", loaded);
	cr_assert_eq(system(cmd), 0);
}

/* ------------------------------------------------------------------ logs */

/* The whole of a file, NUL-terminated (NULL when absent). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static char *log_file(const char *stream, int n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/web.%s.%d", fx.log_dir, stream, n);
	return slurp(path, NULL);
}

/* Each of `prefix`0 .. `prefix`<count-1> once, in order, each on its own line. */
static void assert_lines(const char *text, const char *prefix, int count)
{
	const char *p = text;
	char want[64];

	cr_assert_not_null(text);
	for (int i = 0; i < count; i++) {
		snprintf(want, sizeof(want), "%s%d\n", prefix, i);
		cr_assert(strncmp(p, want, strlen(want)) == 0, "expected \"%s%d\" at offset %zu: "
		          "\"%.40s\"", prefix, i, (size_t)(p - text), p);
		p += strlen(want);
	}
	cr_assert_eq(*p, '\0', "unexpected text after the last line: \"%.40s\"", p);
}

Test(docker, logs_land_in_the_task_log_files)
{
	drover_task *task;
	drover_exit_result res;
	char *out, *err_text;

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	             "\"i=0; while [ $i -lt 200 ]; do echo out$i; echo err$i >&2; i=$((i+1)); "
	             "done\"]}", NULL);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 0);
	/* wait reports the exit once the follower has copied the last line. */
	out = log_file("stdout", 0);
	err_text = log_file("stderr", 0);
	assert_lines(out, "out", 200);
	assert_lines(err_text, "err", 200);
	free(out);
	free(err_text);
	destroy(task);
}

Test(docker, tty_logs_land_in_stdout)
{
	drover_task *task;
	drover_exit_result res;
	char *out;

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"tty\": true, \"command\": \"sh\", \"args\": "
	             "[\"-c\", \"echo one; echo two >&2\"]}", NULL);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 0);
	out = log_file("stdout", 0);
	cr_assert_not_null(out);
	/* A terminal has one stream, and turns \n into \r\n. */
	cr_assert(strstr(out, "one") && strstr(out, "two"), "%s", out);
	free(out);
	destroy(task);
}

/* ------------------------------------------------------------------- DNS */

/* The group network's DNS block (Nomad's TestDockerDriver_DNS): the
 * container's /etc/resolv.conf is drover's file, bound read-only from the
 * task's state directory, in every network mode. */
static const char *const dns_servers[] = { "1.1.1.1", "1.0.0.1", NULL };
static const char *const dns_searches[] = { "local.test", "node.consul", NULL };
static const char *const dns_options[] = { "ndots:2", "edns0", NULL };
static const char dns_text[] = "search local.test node.consul\nnameserver 1.1.1.1\n"
                               "nameserver 1.0.0.1\noptions ndots:2 edns0\n";

/* Starts `task_json` with a group network of `mode` holding the DNS block
 * above, runs it to its end and returns its stdout; *inspected (when
 * asked) is the container's inspection before it is removed. */
static char *run_with_dns(const char *task_json, const char *mode, yajl_val *inspected)
{
	drover_network net;
	drover_task_config cfg = task_config(task_json);
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_exit_result res;
	char path[512], name[128];
	long status = 0;
	char *out;

	snprintf(path, sizeof(path), "%s/web.stdout.0", fx.log_dir);
	unlink(path); /* this run's output only */
	net = plugin_fixture_network(mode, dns_servers, dns_searches, dns_options);
	cfg.network = &net;
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "start: %s", err.message);
	free(h.data);
	res = wait_exit(task, 30000);
	out = log_file("stdout", 0);
	cr_assert_eq(res.exit_code, 0, "exit %d: %s", res.exit_code, out ? out : "");
	if (inspected) {
		*inspected = inspect_container(container_name(name, sizeof(name)), &status);
		cr_assert_eq(status, 200);
	}
	destroy(task);
	cr_assert_not_null(out);
	return out;
}

Test(docker, dns_block_is_the_containers_resolv_conf_and_wins_over_the_task_config)
{
	char bind[512], path[400];
	yajl_val v = NULL, binds;
	const char *hc_dns[] = { "HostConfig", "Dns", NULL };
	const char *hc_binds[] = { "HostConfig", "Binds", NULL };
	char *out;
	struct stat st;

	instance("{}");
	/* The task's own dns_* fields are not used with a group DNS block, as
	 * in Nomad: the bound file is the whole story. Writing it fails. */
	out = run_with_dns("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	                   "\"cat /etc/resolv.conf; echo x >> /etc/resolv.conf 2>/dev/null || "
	                   "echo ro\"], \"dns_servers\": [\"9.9.9.9\"], \"dns_options\": "
	                   "[\"rotate\"]}",
	                   "host", &v);
	cr_assert_str_eq(out, "search local.test node.consul\nnameserver 1.1.1.1\n"
	                      "nameserver 1.0.0.1\noptions ndots:2 edns0\nro\n");
	free(out);
	snprintf(path, sizeof(path), "%s/resolv.conf", fx.state_dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	/* What the daemon was told: a read-only bind, and no Dns fields. */
	binds = yajl_tree_get(v, hc_binds, yajl_t_array);
	snprintf(bind, sizeof(bind), "%s:/etc/resolv.conf:ro", path);
	cr_assert(array_has(binds, bind), "no bind %s", bind);
	{
		yajl_val dns = yajl_tree_get(v, hc_dns, yajl_t_any);
		cr_assert(!dns || YAJL_IS_NULL(dns) ||
		                  (YAJL_IS_ARRAY(dns) && dns->u.array.len == 0),
		          "HostConfig.Dns was set");
	}
	yajl_tree_free(v);
}

Test(docker, dns_block_is_bound_when_the_container_joins_another_network_namespace)
{
	char holder[128], json[512], cmd[512];
	char *out;

	instance("{}");
	/* The group's pause container, by the name Nomad gives it; a bridge-mode
	 * task joins its namespace (container:<pause>), where Docker refuses Dns
	 * fields but takes the bind. */
	snprintf(holder, sizeof(holder), "nomad_init_%s", fx.alloc_id);
	snprintf(fx.cleanup, sizeof(fx.cleanup), "docker rm -f %s >/dev/null 2>&1", holder);
	snprintf(cmd, sizeof(cmd), "docker run -d --name %s --network none %s sleep 600 >/dev/null",
	         holder, image_ref());
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	out = run_with_dns("{\"image\": \"" IMAGE "\", \"command\": \"cat\", \"args\": "
	                   "[\"/etc/resolv.conf\"]}",
	                   "bridge", NULL);
	cr_assert_str_eq(out, dns_text);
	free(out);
	/* The same namespace asked for by the task's own network_mode in a host
	 * mode group, and network_mode none. */
	snprintf(json, sizeof(json), "{\"image\": \"" IMAGE "\", \"command\": \"cat\", "
	         "\"args\": [\"/etc/resolv.conf\"], \"network_mode\": \"container:%s\"}", holder);
	out = run_with_dns(json, "host", NULL);
	cr_assert_str_eq(out, dns_text);
	free(out);
	out = run_with_dns("{\"image\": \"" IMAGE "\", \"command\": \"cat\", \"args\": "
	                   "[\"/etc/resolv.conf\"], \"network_mode\": \"none\"}",
	                   "host", NULL);
	cr_assert_str_eq(out, dns_text);
	free(out);
}

Test(docker, log_rotation_keeps_the_bound)
{
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_exit_result res;
	char path[512];
	struct stat st;
	int files = 0, highest = -1;

	instance("{}");
	/* 3 MiB of 100-byte lines into 1 MiB files, at most 2 kept. Docker's own
	 * json-file rotation (2m by default) is raised out of the way: a follower
	 * can miss lines the daemon rotates away faster than it reads them. */
	cfg = task_config("{\"image\": \"" IMAGE "\", \"logging\": {\"type\": \"json-file\", "
	                  "\"config\": {\"max-size\": \"16m\"}}, \"command\": \"sh\", \"args\": [\"-c\", "
	                  "\"l=0123456789012345678901234567890123456789012345678901234567890123"
	                  "4567890123456789012345678; i=0; while [ $i -lt 32000 ]; do echo $l; "
	                  "i=$((i+1)); done; echo last-line\"]}");
	cfg.log_max_files = 2;
	cfg.log_max_file_size_mb = 1;
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "%s", err.message);
	free(h.data);
	res = wait_exit(task, 90000);
	cr_assert_eq(res.exit_code, 0);
	for (int n = 0; n < 10; n++) {
		snprintf(path, sizeof(path), "%s/web.stdout.%d", fx.log_dir, n);
		if (stat(path, &st) < 0)
			continue;
		files++;
		highest = n;
		cr_assert_leq(st.st_size, 1024 * 1024, "%s has %lld bytes", path,
		              (long long)st.st_size);
	}
	cr_assert_eq(files, 2, "%d stdout files kept, want 2", files);
	if (highest < 2) {
		char *e = log_file("stderr", 0);
		cr_assert_fail("3 MiB never rotated past the second file (highest %d; stderr: %s)",
		               highest, e ? e : "none");
	}
	{
		char *last = log_file("stdout", highest);
		cr_assert(last && strstr(last, "last-line\n"), "the newest file lacks the last line");
		free(last);
	}
	destroy(task);
}

Test(docker, logs_continue_across_a_host_restart)
{
	drover_task *task, *again = NULL;
	drover_handle h;
	drover_err err = { "" };
	drover_exit_result res;
	drover_task_config cfg;
	char go[400], *out;

	instance("{}");
	snprintf(go, sizeof(go), "%s/local/go", fx.task_dir);
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	             "\"i=0; while [ $i -lt 20 ]; do echo line$i; i=$((i+1)); done; "
	             "touch /local/half; while [ ! -e /local/go ]; do sleep 0.05; done; "
	             "while [ $i -lt 40 ]; do echo line$i; i=$((i+1)); done\"]}", &h);
	(void)task;
	{
		char half[400];
		snprintf(half, sizeof(half), "%s/local/half", fx.task_dir);
		cr_assert(wait_file(half, 20000), "the task never wrote its first half");
	}
	/* The host goes away while the container writes; the follower stays. */
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &fx.plugin_cfg, &err), 0);
	cfg = task_config("{\"image\": \"" IMAGE "\"}");
	cr_assert_eq(fx.drv->recover(fx.ctx, &cfg, h.data, h.len, &again, &err), 0, "recover: %s",
	             err.message);
	free(h.data);
	cr_assert_eq(close(open(go, O_CREAT | O_WRONLY, 0644)), 0);
	res = wait_exit(again, 30000);
	cr_assert_eq(res.exit_code, 0);
	out = log_file("stdout", 0);
	assert_lines(out, "line", 40);
	free(out);
	destroy(again);
}

Test(docker, disable_log_collection_writes_no_files)
{
	drover_task *task;
	drover_exit_result res;
	char path[512];

	instance("{\"disable_log_collection\": true}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	             "\"echo hidden\"]}", NULL);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 0);
	snprintf(path, sizeof(path), "%s/web.stdout.0", fx.log_dir);
	cr_assert_neq(access(path, F_OK), 0, "%s exists with disable_log_collection", path);
	destroy(task);
}

/* ---------------------------------------------------- health of the daemon */

/* A second dockerd of the test's own (own socket, data-root and exec-root; no
 * bridge, no iptables, vfs storage) so that stopping it disturbs nothing else.
 * It runs in a network namespace of its own: a dockerd started with
 * --bridge=none deletes the docker0 interface, which belongs to the main one. */
static pid_t start_own_dockerd_opt(const char *dir, int live_restore);
static pid_t start_own_dockerd(const char *dir)
{
	return start_own_dockerd_opt(dir, 0);
}

/* live_restore: containers outlive the daemon (--live-restore). */
static pid_t start_own_dockerd_opt(const char *dir, int live_restore)
{
	char host[400], data[400], exec_root[400], pidfile[400], logpath[400];
	pid_t pid;

	snprintf(host, sizeof(host), "unix://%s/docker.sock", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(exec_root, sizeof(exec_root), "%s/exec", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/dockerd.pid", dir);
	snprintf(logpath, sizeof(logpath), "%s/dockerd.log", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close_range(3, ~0U, 0); /* see the registry's start */
		execlp("unshare", "unshare", "--net", "--", "dockerd", "--host", host, "--data-root", data, "--exec-root",
		       exec_root, "--pidfile", pidfile, "--bridge=none", "--iptables=false",
		       "--ip-masq=false", "--storage-driver=vfs",
		       live_restore ? "--live-restore" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int own_daemon_health(drover_fingerprint *fp)
{
	drover_err err = { "" };
	memset(fp, 0, sizeof(*fp));
	fp->struct_size = sizeof(*fp);
	cr_assert_eq(fx.drv->fingerprint(fx.ctx, fp, &err), 0, "%s", err.message);
	return fp->health;
}

/* Fingerprints until the health is `want`, within deadline_ms. */
static void await_health(int want, long long deadline_ms, const char *dir)
{
	drover_fingerprint fp;
	long long end = test_wait_now_ms() + deadline_ms;

	while (own_daemon_health(&fp) != want) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		if (test_wait_now_ms() > end) {
			char cmd[500];
			snprintf(cmd, sizeof(cmd), "tail -n 20 %s/dockerd.log >&2", dir);
			if (system(cmd) != 0) {
				/* Only a hint. */
			}
			cr_assert_fail("health is still %d (%s) after %lld ms, want %d", fp.health,
			               fp.description, deadline_ms, want);
		}
		nanosleep(&ts, NULL);
	}
}

static void stop_own_dockerd(pid_t pid)
{
	int status;
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
}

Test(docker, health_follows_the_daemon_away_and_back)
{
	char dir[] = "/tmp/drover-dockerd2.XXXXXX", json[400];
	drover_err err = { "" };
	drover_value cfg;
	char first[256];
	pid_t pid;

	drover_test_require(system("command -v dockerd unshare >/dev/null") == 0 && geteuid() == 0,
	                    "a second dockerd needs root, dockerd and unshare");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(json, sizeof(json), "{\"endpoint\": \"unix://%s/docker.sock\"}", dir);
	cr_assert_eq(checked(fx.drv->plugin_schema, json, &cfg, first, sizeof(first)), 0, "%s",
	             first);
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &cfg, &err), 0, "%s", err.message);
	drover_value_clear(&cfg);

	pid = start_own_dockerd(dir);
	await_health(DROVER_HEALTH_HEALTHY, 45000, dir);
	stop_own_dockerd(pid);
	await_health(DROVER_HEALTH_UNHEALTHY, 10000, dir);
	{
		drover_fingerprint fp;
		own_daemon_health(&fp);
		cr_assert(strstr(fp.description, dir), "the description names no socket: %s",
		          fp.description);
	}
	pid = start_own_dockerd(dir);
	await_health(DROVER_HEALTH_HEALTHY, 45000, dir);
	/* The plugin instance goes before its daemon. */
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
	stop_own_dockerd(pid);
	{
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_assert_eq(system(cmd), 0);
	}
}

/* ------------------------------------------------------------------ exec */

static int exec_in(drover_task *task, const char *const *argv, long long timeout_ms, char **out,
                   char **err_text, int *code, drover_err *err)
{
	char po[400], pe[400];
	drover_exec_request req;
	int r;

	snprintf(po, sizeof(po), "%s/exec.out", fx.root);
	snprintf(pe, sizeof(pe), "%s/exec.err", fx.root);
	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.stdin_fd = -1;
	req.stdout_fd = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	req.stderr_fd = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	req.timeout_ms = timeout_ms;
	cr_assert(req.stdout_fd >= 0 && req.stderr_fd >= 0);
	r = fx.drv->exec(fx.ctx, task, &req, code, err);
	close(req.stdout_fd);
	close(req.stderr_fd);
	*out = slurp(po, NULL);
	*err_text = slurp(pe, NULL);
	return r;
}

Test(docker, exec_runs_inside_the_container)
{
	drover_task *task;
	drover_err err = { "" };
	drover_capabilities caps;
	char *out, *err_text;
	int code = -1;
	long long t0;
	const char *const both[] = { "sh", "-c", "echo in-$HOSTNAME; echo oops >&2; exit 5", NULL };
	const char *const missing[] = { "/no/such/command", NULL };
	const char *const slow[] = { "sleep", "1000", NULL };

	instance("{}");
	memset(&caps, 0, sizeof(caps));
	caps.struct_size = sizeof(caps);
	cr_assert_eq(fx.drv->capabilities(fx.ctx, &caps), 0);
	cr_assert_eq(caps.exec, 1);
	task = start("{\"image\": \"" IMAGE "\", \"hostname\": \"boxed\", \"command\": \"sleep\", "
	             "\"args\": [\"1000\"]}", NULL);
	cr_assert_eq(exec_in(task, both, 0, &out, &err_text, &code, &err), 0, "%s", err.message);
	cr_assert_str_eq(out, "in-boxed\n");
	cr_assert_str_eq(err_text, "oops\n");
	cr_assert_eq(code, 5);
	free(out);
	free(err_text);

	/* A command that is not there: docker's 126/127, never 0. */
	code = 0;
	int r = exec_in(task, missing, 0, &out, &err_text, &code, &err);
	cr_assert(r < 0 || code == 126 || code == 127, "r %d code %d", r, code);
	free(out);
	free(err_text);

	t0 = test_wait_now_ms();
	cr_assert_eq(exec_in(task, slow, 1000, &out, &err_text, &code, &err), -ETIMEDOUT);
	cr_assert_lt(test_wait_now_ms() - t0, 10000);
	cr_assert(strstr(err.message, "web") && strstr(err.message, "sleep"), "%s", err.message);
	free(out);
	free(err_text);
	cr_assert_eq(fx.drv->stop(fx.ctx, task, SIGKILL, 0, &err), 0, "%s", err.message);
	destroy(task);
}

/* ------------------------------------------------------------------ gc */

/* Imports a busybox image of its own content (a marker file makes its id
 * unique) as `ref` into the daemon `docker` talks to ("docker" or
 * "docker -H unix://..."). */
static void import_image(const char *docker, const char *ref, const char *marker)
{
	char cmd[1500];

	snprintf(cmd, sizeof(cmd),
	         "set -e; d=$(mktemp -d); mkdir -p $d/bin; cp /bin/busybox $d/bin/busybox; "
	         "for a in sh sleep true; do ln -s busybox $d/bin/$a; done; echo %s > $d/marker; "
	         "tar -C $d -cf $d.tar . ; %s import $d.tar %s >/dev/null; rm -rf $d $d.tar",
	         marker, docker, ref);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static int image_exists(const char *docker, const char *ref)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s image inspect %s >/dev/null 2>&1", docker, ref);
	return system(cmd) == 0;
}

static void periodic(void *ctx)
{
	drover_err err = { "" };
	cr_assert_eq(fx.drv->periodic(ctx, &err), 0, "periodic: %s", err.message);
}

Test(docker, image_is_removed_after_its_delay_and_kept_for_a_new_user)
{
	char ref[160], json[400];
	drover_task *task;
	long long released, end;

	instance("{\"gc\": {\"image_delay\": \"3s\", \"dangling_containers\": {\"enabled\": false}}}");
	/* Its own image, not the run's: this test removes it. */
	snprintf(ref, sizeof(ref), "drover-test/gc:%.60s", fx.alloc_id);
	import_image("docker", ref, fx.alloc_id);
	snprintf(json, sizeof(json), "{\"image\": \"%s\", \"command\": \"sleep\", \"args\": [\"1000\"]}",
	         ref);
	task = start(json, NULL);
	destroy(task);
	released = test_wait_now_ms();
	periodic(fx.ctx);
	if (test_wait_now_ms() - released < 3000)
		cr_assert(image_exists("docker", ref), "the image went before its delay");
	/* A new task takes the image within the delay: the removal is cancelled. */
	task = start(json, NULL);
	while (test_wait_now_ms() - released < 3500) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		periodic(fx.ctx);
		nanosleep(&ts, NULL);
	}
	periodic(fx.ctx);
	cr_assert(image_exists("docker", ref), "the image of a live task was removed");
	destroy(task);
	released = test_wait_now_ms();
	end = released + 20000;
	while (image_exists("docker", ref)) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		cr_assert_lt(test_wait_now_ms(), end, "the unused image is still there 20 s after its last task");
		periodic(fx.ctx);
		nanosleep(&ts, NULL);
	}
	cr_assert_geq(test_wait_now_ms() - released, 3000, "the image went before its delay");
}

/* A plugin instance on the test's own daemon. */
static void *own_instance(const char *dir, const char *gc_json)
{
	char json[600], first[256];
	drover_value cfg;
	drover_err err = { "" };
	void *ctx = NULL;

	snprintf(json, sizeof(json), "{\"endpoint\": \"unix://%s/docker.sock\", "
	         "\"disable_log_collection\": true, \"gc\": %s}", dir, gc_json);
	cr_assert_eq(checked(fx.drv->plugin_schema, json, &cfg, first, sizeof(first)), 0, "%s",
	             first);
	cr_assert_eq(fx.drv->init(&fx.host, &ctx, &err), 0);
	cr_assert_eq(fx.drv->set_config(ctx, &cfg, &err), 0, "%s", err.message);
	drover_value_clear(&cfg);
	return ctx;
}

static int own_container_exists(const char *docker, const char *id)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s container inspect %s >/dev/null 2>&1", docker, id);
	return system(cmd) == 0;
}

/* The reaper on a daemon of the test's own (so it can reap nobody else's): an
 * orphan labelled container goes, the task's own container, an unlabelled one
 * and anything younger than creation_grace stay; dry_run removes nothing. */
Test(docker, reaper_removes_orphans_only)
{
	char dir[] = "/tmp/drover-dockerd3.XXXXXX", docker[300], cmd[1400], orphan[80], plain[80];
	char others[80];
	char ref[160], json[400], name[128];
	void *dry, *young;
	drover_task *task;
	drover_task_config cfg;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	long long created_at;
	pid_t pid;
	FILE *p;

	drover_test_require(system("command -v dockerd unshare >/dev/null") == 0 && geteuid() == 0,
	                    "a second dockerd needs root, dockerd and unshare");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(docker, sizeof(docker), "docker -H unix://%s/docker.sock", dir);
	fx.ctx = own_instance(dir, "{\"image\": false, \"dangling_containers\": "
	                           "{\"period\": \"1s\", \"creation_grace\": \"1s\"}}");
	pid = start_own_dockerd(dir);
	await_health(DROVER_HEALTH_HEALTHY, 45000, dir);
	run_ref(ref, sizeof(ref), NULL, "busybox");
	import_image(docker, ref, "own");

	snprintf(json, sizeof(json), "{\"image\": \"%s\", \"network_mode\": \"none\", "
	         "\"command\": \"sleep\", \"args\": [\"1000\"]}", ref);
	cfg = task_config(json);
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "%s", err.message);
	free(h.data);
	snprintf(cmd, sizeof(cmd), "%s create --label com.hashicorp.nomad.alloc_id=orphan-%s "
	         "--network none %s true", docker, fx.alloc_id, ref);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_not_null(fgets(orphan, sizeof(orphan), p));
	pclose(p);
	orphan[strcspn(orphan, "\n")] = '\0';
	/* Another drover process's task: its allocation directory exists. */
	snprintf(cmd, sizeof(cmd), "%s create --label com.hashicorp.nomad.alloc_id=other-%s "
	         "--label com.drover.alloc_dir=%s --network none %s true", docker, fx.alloc_id,
	         fx.alloc_dir, ref);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_not_null(fgets(others, sizeof(others), p));
	pclose(p);
	others[strcspn(others, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd), "%s create --network none %s true", docker, ref);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_not_null(fgets(plain, sizeof(plain), p));
	pclose(p);
	plain[strcspn(plain, "\n")] = '\0';
	created_at = test_wait_now_ms();

	/* Docker's Created has a one-second resolution: past the grace, surely. */
	while (test_wait_now_ms() - created_at < 2100) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	dry = own_instance(dir, "{\"image\": false, \"dangling_containers\": {\"dry_run\": true, "
	                        "\"creation_grace\": \"1s\"}}");
	periodic(dry);
	fx.drv->fini(dry);
	cr_assert(own_container_exists(docker, orphan), "dry_run removed the orphan");
	young = own_instance(dir, "{\"image\": false, \"dangling_containers\": "
	                          "{\"creation_grace\": \"1h\"}}");
	periodic(young);
	fx.drv->fini(young);
	cr_assert(own_container_exists(docker, orphan), "a container younger than creation_grace "
	          "was removed");

	periodic(fx.ctx);
	cr_assert(!own_container_exists(docker, orphan), "the orphan is still there");
	cr_assert(own_container_exists(docker, plain), "a container without drover's label went");
	cr_assert(own_container_exists(docker, others), "a task whose allocation directory exists "
	          "(another drover process's) went");
	cr_assert(own_container_exists(docker, container_name(name, sizeof(name))),
	          "the task's own container went");

	destroy(task);
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
	stop_own_dockerd(pid);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(docker, bad_gc_options_are_refused_naming_the_option)
{
	static const struct {
		const char *json, *needle;
	} cases[] = {
		{ "{\"gc\": {\"image_delay\": \"soon\"}}", "gc.image_delay" },
		{ "{\"gc\": {\"dangling_containers\": {\"period\": \"0s\"}}}",
		  "gc.dangling_containers.period" },
		{ "{\"gc\": {\"dangling_containers\": {\"creation_grace\": \"-1m\"}}}",
		  "gc.dangling_containers.creation_grace" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drover_value cfg;
		drover_err err = { "" };
		void *ctx = NULL;
		char first[256];
		cr_assert_eq(checked(fx.drv->plugin_schema, cases[i].json, &cfg, first, sizeof(first)),
		             0, "%s", first);
		cr_assert_eq(fx.drv->init(&fx.host, &ctx, &err), 0);
		cr_assert_lt(fx.drv->set_config(ctx, &cfg, &err), 0, "case %zu accepted", i);
		cr_assert(strstr(err.message, cases[i].needle), "case %zu: %s", i, err.message);
		fx.drv->fini(ctx);
		drover_value_clear(&cfg);
	}
}

/* ------------------------------------------- private registry credentials */

/* A second registry of the test's own, with htpasswd (bcrypt) authentication,
 * on 127.0.0.1 and a free port; its image pushed there with `docker login`
 * under a DOCKER_CONFIG of the test's own, so root's ~/.docker stays as it was. */
#define REG_USER "drover"
#define REG_PASS "Pw-s3cret-4242"
#define BAD_PASS "Wrong-pw-9191"

static struct {
	char dir[400];
	char addr[64];   /* 127.0.0.1:<port> */
	char image[200]; /* <addr>/drover-test/private:<run tag> */
	pid_t pid;
	char logs[16384]; /* what the plugin logged and emitted as events */
} reg;

static void capture(const char *what)
{
	size_t n = strlen(reg.logs);
	snprintf(reg.logs + n, sizeof(reg.logs) - n, "%s\n", what);
}

static void capture_log(void *host_data, drover_log_level level, const char *message)
{
	(void)host_data;
	(void)level;
	capture(message);
}

static void capture_event(void *sink, const char *type, const char *message)
{
	(void)sink;
	(void)type;
	capture(message);
}

static int free_port(void)
{
	char cmd[] = "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); "
	             "print(s.getsockname()[1])'";
	FILE *p = popen(cmd, "r");
	int port = 0;

	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%d", &port), 1);
	pclose(p);
	return port;
}

static void run_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_ok(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

static void start_auth_registry(void)
{
	char path[600], url[200];
	long long end;
	FILE *f;

	drover_test_require(system("command -v htpasswd >/dev/null && command -v docker-registry "
	                           ">/dev/null") == 0,
	                    "htpasswd (apache2-utils) or docker-registry missing: run "
	                    "scripts/install-deps.sh");
	memset(&reg, 0, sizeof(reg));
	snprintf(reg.dir, sizeof(reg.dir), "%s/registry", fx.root);
	cr_assert_eq(mkdir(reg.dir, 0700), 0);
	snprintf(reg.addr, sizeof(reg.addr), "127.0.0.1:%d", free_port());
	snprintf(reg.image, sizeof(reg.image), "%s/drover-test/private:%s", reg.addr, run_image());
	run_ok("htpasswd -Bbn %s %s > %s/htpasswd 2>/dev/null", REG_USER, REG_PASS, reg.dir);
	snprintf(path, sizeof(path), "%s/config.yml", reg.dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
	        "    rootdirectory: %s/data\nhttp:\n  addr: %s\n  secret: drover-test\n"
	        "auth:\n  htpasswd:\n    realm: drover-test\n    path: %s/htpasswd\n",
	        reg.dir, reg.addr, reg.dir);
	fclose(f);
	reg.pid = fork();
	cr_assert_geq(reg.pid, 0);
	if (reg.pid == 0) {
		char logpath[600];
		snprintf(logpath, sizeof(logpath), "%s/registry.log", reg.dir);
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* Only 0-2: a long-lived child holding the test worker's other
		 * descriptors (Criterion's channel to its runner) outlives the test. */
		close_range(3, ~0U, 0);
		execlp("docker-registry", "docker-registry", "serve", path, (char *)NULL);
		_exit(127);
	}
	/* Teardown stops it and removes what the test pushed and pulled, even
	 * when an assertion ended the test early. */
	snprintf(fx.cleanup, sizeof(fx.cleanup),
	         "kill %d; docker rmi -f %s >/dev/null 2>&1; docker ps -aq --filter name=%s | "
	         "xargs -r docker rm -f >/dev/null 2>&1",
	         (int)reg.pid, reg.image, fx.alloc_id);
	/* Up when it answers 401 to an anonymous /v2/. */
	snprintf(url, sizeof(url), "curl -s -o /dev/null -w '%%{http_code}' --max-time 1 "
	         "http://%s/v2/ | grep -q 401", reg.addr);
	end = test_wait_now_ms() + 20000;
	while (system(url) != 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		cr_assert_lt(test_wait_now_ms(), end, "the htpasswd registry did not answer on %s", reg.addr);
		cr_assert_eq(waitpid(reg.pid, NULL, WNOHANG), 0, "docker-registry exited (see %s)",
		             reg.dir);
		nanosleep(&ts, NULL);
	}
	/* The private image: pushed with credentials, then gone from the daemon. */
	run_ok("set -e; echo %s | DOCKER_CONFIG=%s/cli docker login -u %s --password-stdin %s "
	       ">/dev/null 2>&1; docker tag %s %s; DOCKER_CONFIG=%s/cli docker push -q %s >/dev/null; "
	       "docker rmi %s >/dev/null",
	       REG_PASS, reg.dir, REG_USER, reg.addr, image_ref(), reg.image, reg.dir, reg.image,
	       reg.image);
}

/* A plugin instance of its own, logging into reg.logs. */
static void auth_instance(const char *plugin_json)
{
	if (fx.ctx) {
		fx.drv->fini(fx.ctx);
		fx.ctx = NULL;
	}
	fx.host.log = capture_log;
	instance(plugin_json);
}

static void write_file(const char *path, mode_t mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void write_file(const char *path, mode_t mode, const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

/* A config.json whose auths entry for the registry holds user:password. */
static void write_docker_config(const char *path, const char *password)
{
	char plain[128], *b64;
	size_t n = (size_t)snprintf(plain, sizeof(plain), "%s:%s", REG_USER, password);
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	b64 = malloc(4 * ((n + 2) / 3) + 1);
	cr_assert_not_null(b64);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		b64[o++] = tbl[(v >> 18) & 63];
		b64[o++] = tbl[(v >> 12) & 63];
		b64[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		b64[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	b64[o] = '\0';
	/* An entry for another registry first: the lookup must pick by host. */
	write_file(path, 0600, "{\"auths\": {\"other.example:5000\": {\"auth\": \"eDp5\"}, "
	           "\"http://%s\": {\"auth\": \"%s\"}}}\n", reg.addr, b64);
	free(b64);
}

/* Starts the private image with force_pull and the extra task fields; the
 * start's result, with its error in msg. */
static int start_private(const char *extra, char *msg, size_t len)
{
	char json[600];
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	int r;

	snprintf(json, sizeof(json), "{\"image\": \"%s\", \"force_pull\": true, \"command\": \"sh\", "
	         "\"args\": [\"-c\", \"exit 7\"]%s}", reg.image, extra);
	cfg = task_config(json);
	cfg.emit_event = capture_event;
	r = fx.drv->start(fx.ctx, &cfg, &task, &h, &err);
	free(h.data);
	snprintf(msg, len, "%s", err.message);
	if (r == 0) {
		drover_exit_result res = wait_exit(task, 30000);
		cr_assert_eq(res.exit_code, 7);
		destroy(task);
	}
	return r;
}

static int image_present(const char *ref)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "docker image inspect %s >/dev/null 2>&1", ref);
	return system(cmd) == 0;
}

static void remove_private_image(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "docker rmi -f %s >/dev/null 2>&1", reg.image);
	if (system(cmd) != 0) {
		/* Not there: nothing to remove. */
	}
}

static void assert_no_secret(const char *where, const char *text)
{
	cr_assert_null(strstr(text, REG_PASS), "%s shows the password: %s", where, text);
	cr_assert_null(strstr(text, BAD_PASS), "%s shows the password: %s", where, text);
}

Test(docker, private_registry_credentials_from_config_file_and_helper, .timeout = 240)
{
	char path[600], plugin[800], bin[500], seen[600], msg[DROVER_ERR_MESSAGE_MAX];
	char *got;
	size_t len;

	instance("{}");
	start_auth_registry();

	/* 1. auth.config with the right auths entry. */
	snprintf(path, sizeof(path), "%s/config.json", reg.dir);
	write_docker_config(path, REG_PASS);
	snprintf(plugin, sizeof(plugin), "{\"auth\": {\"config\": \"%s\"}}", path);
	auth_instance(plugin);
	cr_assert_eq(start_private("", msg, sizeof(msg)), 0, "pull with auth.config: %s", msg);
	cr_assert(image_present(reg.image));
	remove_private_image();

	/* 2. auth.helper: docker-credential-drovertest on $PATH, given the
	 * registry host on stdin and "get" as its argument. */
	snprintf(bin, sizeof(bin), "%s/bin", reg.dir);
	cr_assert_eq(mkdir(bin, 0755), 0);
	snprintf(seen, sizeof(seen), "%s/helper-saw", reg.dir);
	snprintf(path, sizeof(path), "%s/docker-credential-drovertest", bin);
	write_file(path, 0755,
	           "#!/bin/sh\nhost=$(cat)\nprintf '%%s %%s\\n' \"$1\" \"$host\" >> %s\n"
	           "case \"$host\" in\n"
	           "%s) printf '{\"ServerURL\": \"%%s\", \"Username\": \"%s\", \"Secret\": \"%s\"}' "
	           "\"$host\";;\n"
	           "*) echo 'credentials not found in native keychain'; exit 1;;\nesac\n",
	           seen, reg.addr, REG_USER, REG_PASS);
	{
		char newpath[2048];
		snprintf(newpath, sizeof(newpath), "%s:%s", bin, getenv("PATH"));
		setenv("PATH", newpath, 1);
	}
	auth_instance("{\"auth\": {\"helper\": \"drovertest\"}}");
	cr_assert_eq(start_private("", msg, sizeof(msg)), 0, "pull with auth.helper: %s", msg);
	got = slurp(seen, &len);
	cr_assert_not_null(got);
	cr_assert(strstr(got, "get ") == got, "the helper was not run as \"get\": %s", got);
	cr_assert(strstr(got, reg.addr), "the helper was not given the registry host: %s", got);
	free(got);
	remove_private_image();

	/* 3. The same helper named by the config file's credHelpers entry. */
	snprintf(path, sizeof(path), "%s/config-helpers.json", reg.dir);
	write_file(path, 0600, "{\"auths\": {}, \"credHelpers\": {\"%s\": \"drovertest\"}}\n",
	           reg.addr);
	snprintf(plugin, sizeof(plugin), "{\"auth\": {\"config\": \"%s\"}}", path);
	auth_instance(plugin);
	cr_assert_eq(start_private("", msg, sizeof(msg)), 0, "pull with credHelpers: %s", msg);
	remove_private_image();

	/* 4. The task's own auth comes first: wrong ones fail even though the
	 * plugin's config file has the right ones. */
	snprintf(path, sizeof(path), "%s/config.json", reg.dir);
	snprintf(plugin, sizeof(plugin), "{\"auth\": {\"config\": \"%s\"}}", path);
	auth_instance(plugin);
	cr_assert_lt(start_private(", \"auth\": {\"username\": \"" REG_USER "\", \"password\": \""
	                           BAD_PASS "\"}", msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, reg.image), "%s", msg);
	cr_assert(strstr(msg, "unauthorized") || strstr(msg, "authentication"),
	          "not the registry's word: %s", msg);
	assert_no_secret("the error", msg);
	assert_no_secret("the logs and events", reg.logs);
	seen[0] = '\0';
	snprintf(seen, sizeof(seen), "%s/registry.log", reg.dir);
	cr_assert(!image_present(reg.image));
}

Test(docker, private_registry_refuses_without_credentials_and_auth_soft_fail, .timeout = 240)
{
	char path[600], plugin[800], bin[500], msg[DROVER_ERR_MESSAGE_MAX];

	instance("{}");
	start_auth_registry();

	/* No credentials at all: the registry's refusal, naming the image. */
	auth_instance("{}");
	cr_assert_lt(start_private("", msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, reg.image), "%s", msg);
	cr_assert(strstr(msg, "no basic auth credentials") || strstr(msg, "unauthorized") ||
	          strstr(msg, "authentication required"), "not the registry's word: %s", msg);

	/* Wrong ones from the config file: refused, and the password is nowhere. */
	snprintf(path, sizeof(path), "%s/config.json", reg.dir);
	write_docker_config(path, BAD_PASS);
	snprintf(plugin, sizeof(plugin), "{\"auth\": {\"config\": \"%s\"}}", path);
	auth_instance(plugin);
	reg.logs[0] = '\0';
	cr_assert_lt(start_private("", msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "unauthorized") || strstr(msg, "authentication"),
	          "not the registry's word: %s", msg);
	assert_no_secret("the error", msg);
	assert_no_secret("the logs and events", reg.logs);

	/* auth_soft_fail without a local copy still fails: there is nothing to run. */
	cr_assert_lt(start_private(", \"auth_soft_fail\": true", msg, sizeof(msg)), 0);
	assert_no_secret("the error", msg);

	/* auth_soft_fail with the image present: the task runs from it, and says so. */
	run_ok("docker tag %s %s", image_ref(), reg.image);
	reg.logs[0] = '\0';
	cr_assert_eq(start_private(", \"auth_soft_fail\": true", msg, sizeof(msg)), 0, "%s", msg);
	cr_assert(strstr(reg.logs, "auth_soft_fail"), "no event tells of the fallback: %s",
	          reg.logs);
	assert_no_secret("the logs and events", reg.logs);

	/* A failing helper: an error naming it with its own word, or with
	 * auth_soft_fail a pull without credentials (and then the local image). */
	snprintf(bin, sizeof(bin), "%s/bin", reg.dir);
	cr_assert_eq(mkdir(bin, 0755), 0);
	snprintf(path, sizeof(path), "%s/docker-credential-drovertest", bin);
	write_file(path, 0755, "#!/bin/sh\ncat >/dev/null\necho 'vault is sealed' >&2\nexit 3\n");
	{
		char newpath[2048];
		snprintf(newpath, sizeof(newpath), "%s:%s", bin, getenv("PATH"));
		setenv("PATH", newpath, 1);
	}
	auth_instance("{\"auth\": {\"helper\": \"drovertest\"}}");
	cr_assert_lt(start_private("", msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "docker-credential-drovertest") && strstr(msg, "vault is sealed") &&
	          strstr(msg, reg.addr), "%s", msg);
	cr_assert_eq(start_private(", \"auth_soft_fail\": true", msg, sizeof(msg)), 0, "%s", msg);

	/* A helper that is not on $PATH names itself. */
	auth_instance("{\"auth\": {\"helper\": \"drover-absent\"}}");
	cr_assert_lt(start_private("", msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "docker-credential-drover-absent"), "%s", msg);

	/* A malformed config file names the option and the file. */
	snprintf(path, sizeof(path), "%s/bad.json", reg.dir);
	write_file(path, 0600, "{\"auths\": [1, 2");
	snprintf(plugin, sizeof(plugin), "{\"auth\": {\"config\": \"%s\"}}", path);
	auth_instance(plugin);
	cr_assert_lt(start_private("", msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "auth.config") && strstr(msg, path), "%s", msg);
}

/* ------------------------------------------- lifecycle: ports, OOM, loss */

static char *read_cmd(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *buf = calloc(1, 4096);
	size_t n = 0;

	cr_assert_not_null(p);
	cr_assert_not_null(buf);
	n = fread(buf, 1, 4095, p);
	buf[n] = '\0';
	pclose(p);
	return buf;
}

Test(docker, published_port_is_reachable_on_127_0_0_1)
{
	char env_port[64], marker[80], path[400], cmd[300], name[128];
	const char *env[] = { "PATH=/bin", env_port, "NOMAD_IP_http=127.0.0.1", NULL };
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	long long end;
	long status;
	int port, got = 0;
	yajl_val v;
	FILE *f;

	instance("{}");
	port = free_port();
	snprintf(env_port, sizeof(env_port), "NOMAD_HOST_PORT_http=%d", port);
	snprintf(marker, sizeof(marker), "served-from-%s", fx.alloc_id);
	snprintf(path, sizeof(path), "%s/local/index.html", fx.task_dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", marker);
	fclose(f);
	cfg = task_config("{\"image\": \"" IMAGE "\", \"command\": \"busybox\", \"args\": "
	                  "[\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/local\"], "
	                  "\"ports\": [\"http\"], \"port_map\": {\"http\": 8080}}");
	cfg.env = env;
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "start: %s", err.message);
	free(h.data);

	/* Named <task>-<alloc id>, with the task's directories at their places. */
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200, "no container named %s", name);
	{
		static const char *const dirs[][2] = { { "local", "/local" }, { "secrets", "/secrets" } };
		char bind[400];
		for (size_t i = 0; i < 2; i++) {
			snprintf(bind, sizeof(bind), "%s/%s:%s", fx.task_dir, dirs[i][0], dirs[i][1]);
			cr_assert(array_has(docker_json_at(v, "HostConfig", "Binds", NULL), bind),
			          "no %s bind", bind);
		}
		snprintf(bind, sizeof(bind), "%s/alloc:/alloc", fx.alloc_dir);
		cr_assert(array_has(docker_json_at(v, "HostConfig", "Binds", NULL), bind));
	}
	yajl_tree_free(v);

	/* httpd needs a moment to listen: ask until it answers, with a deadline. */
	snprintf(cmd, sizeof(cmd), "curl -s --max-time 2 http://127.0.0.1:%d/index.html", port);
	end = test_wait_now_ms() + 20000;
	while (!got && test_wait_now_ms() < end) {
		char *body = read_cmd(cmd);
		got = strstr(body, marker) != NULL;
		free(body);
		if (!got) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	cr_assert(got, "nothing answered on 127.0.0.1:%d within 20 s", port);
	cr_assert_eq(fx.drv->stop(fx.ctx, task, SIGKILL, 0, &err), 0, "%s", err.message);
	destroy(task);
}

Test(docker, oom_kill_is_reported)
{
	drover_task *task;
	drover_exit_result res;

	instance("{}");
	/* 64 MB (MemoryMB of task_config), no swap: the doubling string hits it fast. */
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	             "\"x=a; while :; do x=$x$x; done\"]}", NULL);
	res = wait_exit(task, 60000);
	cr_assert_eq(res.oom_killed, 1, "exit %d, error \"%s\": no OOM reported", res.exit_code,
	             res.error);
	cr_assert_eq(res.exit_code, 137);
	destroy(task);
}

Test(docker, a_container_removed_behind_drovers_back_is_reported_lost)
{
	drover_task *task, *again = NULL;
	drover_handle h;
	drover_task_config cfg;
	drover_exit_result res;
	drover_err err = { "" };
	char name[128], cmd[300];

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sleep\", \"args\": [\"1000\"]}", &h);
	snprintf(cmd, sizeof(cmd), "docker rm -f %s >/dev/null", container_name(name, sizeof(name)));
	cr_assert_eq(system(cmd), 0);
	res = wait_exit(task, 20000);
	cr_assert_neq(res.exit_code, 0);
	cr_assert(strstr(res.error, "removed outside drover"), "error: %s", res.error);
	destroy(task);
	/* A later host recovering the handle learns the same. */
	cfg = task_config("{\"image\": \"" IMAGE "\"}");
	cr_assert_eq(fx.drv->recover(fx.ctx, &cfg, h.data, h.len, &again, &err), -ENOENT,
	             "recover of a vanished container: %s", err.message);
	cr_assert_null(again);
	cr_assert(strstr(err.message, "no longer exists"), "%s", err.message);
	free(h.data);
}

Test(docker, malformed_image_names_are_refused_naming_the_field)
{
	static const char *const bad[] = { "Drover/UPPER:1", "busybox::1", "a b", "busybox:",
		                           "-x", "reg.example/", "busybox@sha256:zz", NULL };
	char json[200], msg[DROVER_ERR_MESSAGE_MAX];

	for (size_t i = 0; bad[i]; i++) {
		snprintf(json, sizeof(json), "{\"image\": \"%s\"}", bad[i]);
		start_fails(json, "{}", msg, sizeof(msg));
		cr_assert(strstr(msg, "\"image\"") && strstr(msg, "not a valid image reference"),
		          "%s: %s", bad[i], msg);
	}
}

/* ------------------------------------------------------------- pulls */

typedef struct events {
	pthread_mutex_t lock;
	char text[8192];
} events;

static void record_event(void *sink, const char *type, const char *message)
{
	events *e = sink;
	pthread_mutex_lock(&e->lock);
	size_t n = strlen(e->text);
	snprintf(e->text + n, sizeof(e->text) - n, "%s: %s\n", type, message);
	pthread_mutex_unlock(&e->lock);
}

static int events_have(events *e, const char *needle)
{
	pthread_mutex_lock(&e->lock);
	int r = strstr(e->text, needle) != NULL;
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* A "registry" that accepts connections (the kernel does, from the backlog)
 * and never answers: a pull from it makes no progress at all. */
static int silent_registry(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 64), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

typedef struct pull_job {
	drover_task_config cfg;
	drover_task *task;
	drover_err err;
	int r;
	long long took_ms;
} pull_job;

static void *pull_thread(void *arg)
{
	pull_job *j = arg;
	drover_handle h = { NULL, 0 };
	long long t0 = test_wait_now_ms();

	j->r = fx.drv->start(fx.ctx, &j->cfg, &j->task, &h, &j->err);
	j->took_ms = test_wait_now_ms() - t0;
	free(h.data);
	return NULL;
}

Test(docker, image_pull_timeout_aborts_a_stuck_pull_and_concurrent_pulls_merge)
{
	events ea = { PTHREAD_MUTEX_INITIALIZER, "" }, eb = { PTHREAD_MUTEX_INITIALIZER, "" };
	char json[300];
	pull_job a, b;
	pthread_t th;
	long long end;
	int port, fd;

	instance("{}");
	fd = silent_registry(&port);
	snprintf(json, sizeof(json), "{\"image\": \"127.0.0.1:%d/drover-test/stuck:1\", "
	         "\"image_pull_timeout\": \"3s\"}", port);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.cfg = task_config(json);
	a.cfg.event_sink = &ea;
	a.cfg.emit_event = record_event;
	cr_assert_eq(pthread_create(&th, NULL, pull_thread, &a), 0);
	/* The second task asks once the first one's pull is under way. */
	end = test_wait_now_ms() + 10000;
	while (!events_have(&ea, "Downloading image")) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		cr_assert_lt(test_wait_now_ms(), end, "the first pull never started");
		nanosleep(&ts, NULL);
	}
	b.cfg = a.cfg;
	b.cfg.event_sink = &eb;
	b.cfg.task_name = "web2";
	b.cfg.id = "alloc1/web2";
	pull_thread(&b);
	cr_assert_eq(pthread_join(th, NULL), 0);

	cr_assert_eq(a.r, -ETIMEDOUT, "first: %d %s", a.r, a.err.message);
	cr_assert(strstr(a.err.message, "image_pull_timeout") && strstr(a.err.message, "aborted"),
	          "%s", a.err.message);
	cr_assert_geq(a.took_ms, 2900, "aborted after %lld ms, before image_pull_timeout", a.took_ms);
	cr_assert_lt(a.took_ms, 9000, "aborted only after %lld ms", a.took_ms);
	cr_assert(events_have(&eb, "another task is pulling it"), "second task's events:\n%s",
	          eb.text);
	cr_assert(!events_have(&eb, "Downloading image 127") || events_have(&eb, "Waiting for image"),
	          "%s", eb.text);
	/* After the first pull failed, the second tried on its own (its credentials
	 * may be better) and hit the same wall. */
	cr_assert_lt(b.r, 0);
	cr_assert(strstr(b.err.message, "image_pull_timeout"), "%s", b.err.message);
	close(fd);
}

Test(docker, pull_progress_is_reported_as_task_events)
{
	events ev = { PTHREAD_MUTEX_INITIALIZER, "" };
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_exit_result res;
	char cmd[1024], pref[160];

	instance("{}");
	drover_test_require(system("curl -sf --max-time 2 http://127.0.0.1:5000/v2/ >/dev/null") == 0,
	                    "no registry on 127.0.0.1:5000 (run scripts/test-services.sh start)");
	/* An image of its own content: a layer the daemon already holds would
	 * not be transferred, and a pull without a layer reports no progress. */
	snprintf(pref, sizeof(pref), "127.0.0.1:5000/drover-test/progress:%.60s", fx.alloc_id);
	import_image("docker", pref, fx.alloc_id);
	snprintf(cmd, sizeof(cmd), "docker push -q %s >/dev/null && docker rmi %s >/dev/null", pref,
	         pref);
	cr_assert_eq(system(cmd), 0);
	snprintf(fx.cleanup, sizeof(fx.cleanup), "docker rmi %s >/dev/null 2>&1", pref);
	snprintf(cmd, sizeof(cmd), "{\"image\": \"%s\", \"command\": \"true\"}", pref);
	cfg = task_config(cmd);
	cfg.event_sink = &ev;
	cfg.emit_event = record_event;
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "start: %s", err.message);
	free(h.data);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 0);
	destroy(task);
	cr_assert(events_have(&ev, "Downloading image"), "%s", ev.text);
	/* One layer (a docker import): the last summary says it is all there. */
	cr_assert(events_have(&ev, "Pulling: Pulling image ") &&
	          events_have(&ev, ": 1/1 layers done"), "events:\n%s", ev.text);
	snprintf(cmd, sizeof(cmd), "docker rmi %s >/dev/null", pref);
	cr_assert_eq(system(cmd), 0);
}

Test(docker, a_task_survives_its_daemon_going_away_and_is_recovered, .timeout = 240)
{
	char dir[] = "/tmp/drover-dockerd4.XXXXXX", docker[300], ref[160], json[400];
	drover_task *task = NULL, *again = NULL;
	drover_task_config cfg;
	drover_handle h = { NULL, 0 };
	drover_exit_result res;
	drover_err err = { "" };
	void *second;
	pid_t pid;

	drover_test_require(system("command -v dockerd unshare >/dev/null") == 0 && geteuid() == 0,
	                    "a second dockerd needs root, dockerd and unshare");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(docker, sizeof(docker), "docker -H unix://%s/docker.sock", dir);
	snprintf(fx.cleanup, sizeof(fx.cleanup),
	         "kill $(cat %s/dockerd.pid 2>/dev/null) 2>/dev/null; sleep 1; umount %s/data 2>/dev/null; "
	         "rm -rf %s", dir, dir, dir);
	pid = start_own_dockerd_opt(dir, 1);
	fx.ctx = own_instance(dir, "{\"dangling_containers\": {\"enabled\": false}}");
	await_health(DROVER_HEALTH_HEALTHY, 45000, dir);
	snprintf(ref, sizeof(ref), "drover-test/away:%.60s", fx.alloc_id);
	import_image(docker, ref, fx.alloc_id);
	snprintf(json, sizeof(json), "{\"image\": \"%s\", \"command\": \"sleep\", "
	         "\"args\": [\"1000\"], \"network_mode\": \"none\"}", ref);
	cfg = task_config(json);
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "start: %s", err.message);

	/* The daemon goes: the driver says so, and the task is not declared dead. */
	stop_own_dockerd(pid);
	await_health(DROVER_HEALTH_UNHEALTHY, 10000, dir);
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	cr_assert_eq(fx.drv->wait(fx.ctx, task, DROVER_WAIT_NOHANG, &res, &err), -EAGAIN,
	             "a task whose daemon is away was given an outcome: exit %d (%s)",
	             res.exit_code, res.error);

	/* It comes back: healthy again, the container still runs, and a fresh
	 * instance (a restarted host) recovers it from the handle. */
	pid = start_own_dockerd_opt(dir, 1);
	await_health(DROVER_HEALTH_HEALTHY, 45000, dir);
	cr_assert_eq(fx.drv->wait(fx.ctx, task, DROVER_WAIT_NOHANG, &res, &err), -EAGAIN,
	             "the container did not survive its daemon's restart: exit %d (%s)",
	             res.exit_code, res.error);
	second = own_instance(dir, "{\"dangling_containers\": {\"enabled\": false}}");
	cr_assert_eq(fx.drv->recover(second, &cfg, h.data, h.len, &again, &err), 0, "recover: %s",
	             err.message);
	cr_assert_eq(fx.drv->wait(second, again, DROVER_WAIT_NOHANG, &res, &err), -EAGAIN);
	/* The first instance's event stream came back too: a stop through the
	 * recovered task wakes the original one's waiter. */
	cr_assert_eq(fx.drv->stop(second, again, SIGKILL, 0, &err), 0, "%s", err.message);
	res = wait_exit(task, 20000);
	cr_assert_eq(res.exit_code, 137, "exit %d (%s)", res.exit_code, res.error);
	cr_assert_eq(fx.drv->destroy(second, again, 1, &err), 0, "%s", err.message);
	fx.drv->fini(second);
	destroy(task);
	free(h.data);
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
	stop_own_dockerd(pid);
	fx.cleanup[0] = '\0';
	{
		/* A dockerd with live-restore leaves its data-root bind-mounted. */
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "umount %s/data 2>/dev/null; rm -rf %s", dir, dir);
		cr_assert_eq(system(cmd), 0);
	}
}


/* A container started with the task-level ports main and REDIS (legacy
 * Resources.Networks) at host ports hp[0], hp[1], and `config`. */
static yajl_val start_with_task_ports(const char *config, const int hp[2], drover_task **task)
{
	static const char *const labels[] = { "main", "REDIS", NULL };
	char env_buf[8][64];
	const char *env[9];
	drover_task_config cfg;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	char name[128];
	long status;
	yajl_val v;

	for (int i = 0; i < 2; i++) {
		snprintf(env_buf[i * 4], 64, "NOMAD_PORT_%s=%d", labels[i], hp[i]);
		snprintf(env_buf[i * 4 + 1], 64, "NOMAD_HOST_PORT_%s=%d", labels[i], hp[i]);
		snprintf(env_buf[i * 4 + 2], 64, "NOMAD_IP_%s=127.0.0.1", labels[i]);
		snprintf(env_buf[i * 4 + 3], 64, "NOMAD_ADDR_%s=127.0.0.1:%d", labels[i], hp[i]);
	}
	for (int i = 0; i < 8; i++)
		env[i] = env_buf[i];
	env[8] = NULL;
	cfg = task_config(config);
	cfg.env = env;
	cfg.task_ports = labels;
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, task, &h, &err), 0, "start: %s", err.message);
	free(h.data);
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200);
	return v;
}

static void assert_binding(yajl_val v, int container_port, int host_port)
{
	char key[32], hps[16];

	snprintf(hps, sizeof(hps), "%d", host_port);
	for (int proto = 0; proto < 2; proto++) {
		snprintf(key, sizeof(key), "%d/%s", container_port, proto ? "udp" : "tcp");
		cr_assert_not_null(docker_json_at(v, "Config", "ExposedPorts", key, NULL),
		                   "%s is not exposed", key);
		yajl_val pb = docker_json_at(v, "HostConfig", "PortBindings", key, NULL);
		cr_assert(YAJL_IS_ARRAY(pb) && pb->u.array.len == 1, "%s is not published", key);
		cr_assert_str_eq(docker_json_str(pb->u.array.values[0], "HostPort", NULL), hps,
		                 "%s is published on %s, not on the host port %s", key,
		                 docker_json_str(pb->u.array.values[0], "HostPort", NULL), hps);
	}
}

/* TestDockerDriver_PortsMapping: with task-level networks and port_map, the
 * container side is the mapped port, and so is NOMAD_PORT_<label> inside. */
Test(docker, port_map_of_task_networks_sets_the_container_side)
{
	int hp[2] = { free_port(), free_port() };
	drover_task *task;
	char want[64];
	yajl_val v;

	instance("{}");
	v = start_with_task_ports("{\"image\": \"" IMAGE "\", \"command\": \"sleep\", "
	                          "\"args\": [\"1000\"], \"port_map\": {\"main\": 8080, "
	                          "\"REDIS\": 6379}}",
	                          hp, &task);
	assert_binding(v, 8080, hp[0]);
	assert_binding(v, 6379, hp[1]);
	yajl_val env = docker_json_at(v, "Config", "Env", NULL);
	cr_assert(array_has(env, "NOMAD_PORT_main=8080"), "NOMAD_PORT_main is not 8080");
	cr_assert(array_has(env, "NOMAD_PORT_REDIS=6379"), "NOMAD_PORT_REDIS is not 6379");
	snprintf(want, sizeof(want), "NOMAD_HOST_PORT_main=%d", hp[0]);
	cr_assert(array_has(env, want), "NOMAD_HOST_PORT_main is not the host port");
	yajl_tree_free(v);
	destroy(task);
}

/* TestDockerDriver_PortsNoMap: task-level networks without port_map or ports
 * expose and publish every task port, container port = host port. */
Test(docker, task_network_ports_are_all_published_without_port_map)
{
	int hp[2] = { free_port(), free_port() };
	drover_task *task;
	char want[64];
	yajl_val v;

	instance("{}");
	v = start_with_task_ports("{\"image\": \"" IMAGE "\", \"command\": \"sleep\", "
	                          "\"args\": [\"1000\"]}",
	                          hp, &task);
	assert_binding(v, hp[0], hp[0]);
	assert_binding(v, hp[1], hp[1]);
	snprintf(want, sizeof(want), "NOMAD_PORT_main=%d", hp[0]);
	cr_assert(array_has(docker_json_at(v, "Config", "Env", NULL), want));
	yajl_tree_free(v);
	destroy(task);
}

/* `echo x | drover exec A box -- cat`: the command's stdin is the caller's
 * (Nomad's ExecTaskStreaming forwards it), and its end is the command's EOF. */
Test(docker, exec_forwards_stdin_until_its_end)
{
	static const char *const cat[] = { "cat", NULL };
	static const char *const count[] = { "sh", "-c", "n=0; while read l; do n=$((n+1)); done; "
		                                       "echo \"$n lines\"; exit 3", NULL };
	drover_task *task;
	drover_err err = { "" };
	char pi[400], po[400], *out;
	drover_exec_request req;
	int code = -1;

	instance("{}");
	task = start("{\"image\": \"" IMAGE "\", \"command\": \"sleep\", \"args\": [\"1000\"]}", NULL);
	snprintf(pi, sizeof(pi), "%s/exec.in", fx.root);
	snprintf(po, sizeof(po), "%s/exec.out", fx.root);
	write_file(pi, 0600, "hello\nfrom stdin\n");
	for (int i = 0; i < 2; i++) {
		memset(&req, 0, sizeof(req));
		req.struct_size = sizeof(req);
		req.argv = i == 0 ? cat : count;
		req.stdin_fd = open(pi, O_RDONLY);
		req.stdout_fd = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		req.stderr_fd = -1;
		req.timeout_ms = 20000;
		cr_assert(req.stdin_fd >= 0 && req.stdout_fd >= 0);
		cr_assert_eq(fx.drv->exec(fx.ctx, task, &req, &code, &err), 0, "exec: %s", err.message);
		close(req.stdin_fd);
		close(req.stdout_fd);
		out = slurp(po, NULL);
		if (i == 0) {
			cr_assert_str_eq(out, "hello\nfrom stdin\n", "cat got \"%s\"", out);
			cr_assert_eq(code, 0);
		} else {
			cr_assert_str_eq(out, "2 lines\n", "the command saw \"%s\"", out);
			cr_assert_eq(code, 3);
		}
		free(out);
	}
	destroy(task);
}

/* Host volumes (client.host_volume + VolumeMounts) are binds whatever
 * volumes.enabled says: read-write and read-only. */
Test(docker, host_volumes_are_bound_even_with_volumes_disabled)
{
	char rw[400], ro[400], path[500], *got;
	drover_mount mrw = { .struct_size = sizeof(drover_mount), .volume = "data",
		             .destination = "/srv/data", .read_only = 0, .propagation = "private" };
	drover_mount mro = { .struct_size = sizeof(drover_mount), .volume = "shared",
		             .destination = "/srv/shared", .read_only = 1,
		             .propagation = "private" };
	const drover_mount *mounts[] = { &mrw, &mro, NULL };
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_exit_result res;
	char name[128];
	long status;
	yajl_val v;

	instance("{\"volumes\": {\"enabled\": false}}");
	snprintf(rw, sizeof(rw), "%s/vol-rw", fx.root);
	snprintf(ro, sizeof(ro), "%s/vol-ro", fx.root);
	cr_assert_eq(mkdir(rw, 0777), 0);
	cr_assert_eq(mkdir(ro, 0755), 0);
	cr_assert_eq(chmod(rw, 0777), 0);
	snprintf(path, sizeof(path), "%s/in", ro);
	write_file(path, 0644, "shared data\n");
	mrw.source = rw;
	mro.source = ro;
	cfg = task_config("{\"image\": \"" IMAGE "\", \"command\": \"sh\", \"args\": [\"-c\", "
	                  "\"cat /srv/shared/in > /srv/data/copy || exit 3; "
	                  "touch /srv/shared/x 2>/dev/null && exit 4; exit 0\"]}");
	cfg.mounts = mounts;
	cr_assert_eq(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0, "start: %s", err.message);
	free(h.data);
	v = inspect_container(container_name(name, sizeof(name)), &status);
	cr_assert_eq(status, 200);
	snprintf(path, sizeof(path), "%s:/srv/data:rw,rprivate", rw);
	cr_assert(array_has(docker_json_at(v, "HostConfig", "Binds", NULL), path), "no %s", path);
	snprintf(path, sizeof(path), "%s:/srv/shared:ro,rprivate", ro);
	cr_assert(array_has(docker_json_at(v, "HostConfig", "Binds", NULL), path), "no %s", path);
	yajl_tree_free(v);
	res = wait_exit(task, 30000);
	cr_assert_eq(res.exit_code, 0, "exit %d (3: read failed, 4: the read-only bind was written)",
	             res.exit_code);
	snprintf(path, sizeof(path), "%s/copy", rw);
	got = slurp(path, NULL);
	cr_assert(got && strcmp(got, "shared data\n") == 0, "the write did not reach %s", path);
	free(got);
	snprintf(path, sizeof(path), "%s/x", ro);
	cr_assert_neq(access(path, F_OK), 0);
	destroy(task);

	/* A destination Docker would misread. */
	mrw.destination = "relative";
	cfg = task_config("{\"image\": \"" IMAGE "\", \"command\": \"true\"}");
	cfg.mounts = mounts;
	task = NULL;
	cr_assert_lt(fx.drv->start(fx.ctx, &cfg, &task, &h, &err), 0);
	cr_assert_null(task);
	cr_assert(strstr(err.message, "VolumeMounts[0] (volume \"data\"): \"Destination\""),
	          "%s", err.message);
}

#include "criterion_serial_main.h"

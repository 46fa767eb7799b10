/* Group networks on the docker driver (issue 15): create_network and
 * destroy_network through the plugin's descriptor against a real dockerd, and
 * task containers joining the pause container they make.
 *
 * The infra_image is the test's own pause program (tests/fixtures/pause,
 * linked statically), imported as an image and pushed to the local registry
 * on 127.0.0.1:5000 once per run: the tests cannot pull registry.k8s.io. The
 * tasks run a busybox image imported the same way. Nothing comes from the
 * internet, and the only address any test connects to is 127.0.0.1 inside
 * the group's own namespace. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include <drover/driver.h>

#include "docker_http.h"
#include "docker_json.h"
#include "json.h"
#include "docker_fixture.h"
#include "plugin_fixture.h"
#include "schema_check.h"
#include "test_support.h"
#include "value_tree.h"

#define REGISTRY "127.0.0.1:5000"
#define HOSTNAME "grouphost"
/* The port the server task listens on, inside the group's namespace only. */
#define PORT "18481"

static struct {
	char root[256];
	char alloc_dir[300];
	char net_dir[320];    /* the allocation's run dir: create_network's state_dir */
	char alloc_id[64];
	void *so;
	const drover_driver *drv;
	drover_host host;
	drover_value plugin_cfg;
	drover_value task_cfg[4];
	int ntask_cfg;
	void *ctx;
	docker_client client;
	char cleanup[1024];   /* shell command teardown runs: what a failed test left */
} fx;

static int registry_up(void)
{
	return system("curl -sf --max-time 2 http://" REGISTRY "/v2/ >/dev/null") == 0;
}

/* This run's tag (see test_docker.c's run_image): the runner names it in
 * PRE_ALL, so parallel runs on one daemon never share an image. */
static const char *run_tag(void)
{
	static char tag[64];
	const char *env = getenv("DROVER_TEST_DOCKER_TAG");

	if (!tag[0])
		snprintf(tag, sizeof(tag), "%s", env && env[0] ? env : "");
	if (!tag[0])
		snprintf(tag, sizeof(tag), "p%d", (int)getpid());
	return tag;
}

static const char *box_image(void)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "drover-test/netbox:%s", run_tag());
	return buf;
}

static const char *pause_image(void)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), REGISTRY "/drover-test/pause:%s", run_tag());
	return buf;
}

/* Imports the pause program as `ref` (its only file, its entrypoint). */
static int import_pause(const char *ref)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	         "set -e; d=$(mktemp -d); cp %s $d/pause; tar -C $d -cf $d.tar pause; "
	         "docker import --change 'ENTRYPOINT [\"/pause\"]' $d.tar %s >/dev/null; "
	         "rm -rf $d $d.tar",
	         DROVER_TEST_PAUSE, ref);
	return system(cmd) == 0;
}

/* The images of the run, built once in the runner before any test: tests run
 * in parallel processes, and two imports racing for one tag would leave an
 * untagged image behind. The pause image also goes to the registry, for the
 * pull tests. */
static int build_images(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	         "docker image inspect %s >/dev/null 2>&1 && exit 0; "
	         "set -e; d=$(mktemp -d); mkdir -p $d/bin $d/tmp; cp /bin/busybox $d/bin/busybox; "
	         "for a in sh sleep echo cat seq grep nc printf httpd hostname mkdir; do "
	         "ln -s busybox $d/bin/$a; done; "
	         "tar -C $d -cf $d.tar . ; docker import $d.tar %s >/dev/null; rm -rf $d $d.tar",
	         box_image(), box_image());
	if (system(cmd) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "docker image inspect %s >/dev/null 2>&1", pause_image());
	if (system(cmd) == 0)
		return 1;
	if (!import_pause(pause_image()))
		return 0;
	snprintf(cmd, sizeof(cmd), "docker push %s >/dev/null 2>&1", pause_image());
	if (registry_up() && system(cmd) != 0)
		return 0;
	return 1;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char tag[32];

	(void)set;
	snprintf(tag, sizeof(tag), "r%d", (int)getpid());
	setenv("DROVER_TEST_DOCKER_TAG", tag, 1);
	if (docker_fixture_daemon_up() && !build_images()) {
		/* The tests that need them fail, naming the images. */
	}
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	char cmd[512];

	(void)stats;
	snprintf(cmd, sizeof(cmd), "docker rmi -f %s %s >/dev/null 2>&1", box_image(),
	         pause_image());
	if (system(cmd) != 0) {
		/* No daemon, or no images: nothing to clean. */
	}
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(fx.root, sizeof(fx.root), "/tmp/drover-test-docknet.XXXXXX");
	cr_assert_not_null(mkdtemp(fx.root));
	snprintf(fx.alloc_dir, sizeof(fx.alloc_dir), "%s/alloc1", fx.root);
	cr_assert_eq(mkdir(fx.alloc_dir, 0755), 0);
	snprintf(fx.net_dir, sizeof(fx.net_dir), "%s/run-alloc1", fx.root);
	cr_assert_eq(mkdir(fx.net_dir, 0700), 0);
	/* A fresh allocation id per test: container names never collide. */
	snprintf(fx.alloc_id, sizeof(fx.alloc_id), "n%d-%lld", (int)getpid(), test_wait_now_ms());
	fx.drv = docker_fixture_load(&fx.so, &fx.host, &fx.client);
	/* Whatever a failed test left: its tasks and its pause container. */
	snprintf(fx.cleanup, sizeof(fx.cleanup),
	         "docker rm -f server-%s client-%s nomad_init_%s >/dev/null 2>&1", fx.alloc_id,
	         fx.alloc_id, fx.alloc_id);
}

static void teardown(void)
{
	if (fx.ctx)
		fx.drv->fini(fx.ctx);
	if (fx.cleanup[0] && system(fx.cleanup) != 0) {
		/* Already gone when the test got to its end. */
	}
	drover_value_clear(&fx.plugin_cfg);
	for (int i = 0; i < fx.ntask_cfg; i++)
		drover_value_clear(&fx.task_cfg[i]);
	docker_client_free(&fx.client);
	if (fx.so)
		dlclose(fx.so);
	test_rm_tree(fx.root);
	curl_global_cleanup();
}

TestSuite(docker_network, .init = setup, .fini = teardown, .timeout = 120);

/* Checks `json` against `schema` as the host does. */
static void checked(const drover_field *schema, const char *json, drover_value *out)
{
	char first[512];

	cr_assert_eq(docker_fixture_checked(schema, json, out, first, sizeof(first)), 0, "%s: %s",
	             json, first);
}

/* A configured plugin instance whose infra_image is `infra` (NULL: the run's
 * pause image); skips (fails when strict) without a daemon. */
static void instance(const char *infra)
{
	drover_err err = { "" };
	char json[512], cmd[512];

	drover_test_require(docker_fixture_daemon_up(), "no dockerd answers on /var/run/docker.sock "
	                    "(run scripts/test-services.sh start)");
	snprintf(cmd, sizeof(cmd), "docker image inspect %s %s >/dev/null 2>&1", box_image(),
	         pause_image());
	cr_assert(system(cmd) == 0 || build_images(), "building the test images %s and %s failed",
	          box_image(), pause_image());
	snprintf(json, sizeof(json), "{\"infra_image\": \"%s\", \"infra_image_pull_timeout\": \"1m\"}",
	         infra ? infra : pause_image());
	checked(fx.drv->plugin_schema, json, &fx.plugin_cfg);
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0, "init: %s", err.message);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &fx.plugin_cfg, &err), 0, "set_config: %s",
	             err.message);
}

static drover_network_request net_request(void)
{
	drover_network_request req;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.alloc_id = fx.alloc_id;
	req.job_id = "job";
	req.group_name = "group";
	req.mode = "bridge";
	req.hostname = HOSTNAME;
	req.state_dir = fx.net_dir;
	return req;
}

static drover_network_created create_network(void)
{
	drover_network_request req = net_request();
	drover_network_created out;
	drover_err err = { "" };
	int r;

	memset(&out, 0, sizeof(out));
	out.struct_size = sizeof(out);
	r = fx.drv->create_network(fx.ctx, &req, &out, &err);
	cr_assert_eq(r, 0, "create_network: %d %s", r, err.message);
	cr_assert_not_null(out.netns_path);
	cr_assert_not_null(out.handle.data);
	return out;
}

static void created_free(drover_network_created *c)
{
	free(c->netns_path);
	free(c->handle.data);
}

/* The container's inspection, NULL for a 404. */
static yajl_val inspect(const char *ref)
{
	drover_err err = { "" };
	long status;
	yajl_val v = docker_fixture_inspect(&fx.client, ref, &status, &err);

	if (status != 200)
		cr_assert_eq(status, 404, "inspect %s: %ld %s", ref, status, err.message);
	return v;
}

static const char *pause_name(void)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "nomad_init_%s", fx.alloc_id);
	return buf;
}

static unsigned long netns_inode(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "stat %s: %s", path, strerror(errno));
	return (unsigned long)st.st_ino;
}

/* A task of the group: `name` runs `script` with busybox sh; the group's
 * network is `net` (NULL: the task has none, as a host-mode group). */
static drover_task *start_task(const char *name, const char *extra_json, const char *script,
                               const drover_network *net, drover_err *err_out)
{
	static const char *const env[] = { "PATH=/bin", "NOMAD_HOST_PORT_http=" PORT,
		                           "NOMAD_IP_http=127.0.0.1", NULL };
	char json[2048], task_dir[400], state_dir[400], id[160];
	drover_task_config cfg;
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	drover_value *tc;
	char *escaped;
	int r;

	cr_assert_lt(fx.ntask_cfg, 4);
	tc = &fx.task_cfg[fx.ntask_cfg++];
	/* The script as a JSON string: it holds only quotes to escape. */
	escaped = calloc(1, strlen(script) * 2 + 1);
	cr_assert_not_null(escaped);
	for (size_t i = 0, o = 0; script[i]; i++) {
		if (script[i] == '"' || script[i] == '\\')
			escaped[o++] = '\\';
		escaped[o++] = script[i];
	}
	snprintf(json, sizeof(json),
	         "{\"image\": \"%s\", \"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]%s%s}",
	         box_image(), escaped, extra_json ? ", " : "", extra_json ? extra_json : "");
	free(escaped);
	checked(fx.drv->task_schema, json, tc);
	snprintf(task_dir, sizeof(task_dir), "%s/%s", fx.alloc_dir, name);
	if (mkdir(task_dir, 0755) == 0) {
		char local[450];
		snprintf(local, sizeof(local), "%s/local", task_dir);
		cr_assert_eq(mkdir(local, 0755), 0);
	}
	/* Each task's own root-only dir: its log follower's shim keeps its
	 * pids there. */
	snprintf(state_dir, sizeof(state_dir), "%s/run-%s", fx.root, name);
	cr_assert(mkdir(state_dir, 0700) == 0 || errno == EEXIST);
	snprintf(id, sizeof(id), "%s/%s", fx.alloc_id, name);
	memset(&cfg, 0, sizeof(cfg));
	cfg.struct_size = sizeof(cfg);
	cfg.id = id;
	cfg.job_id = "job";
	cfg.job_name = "job";
	cfg.group_name = "group";
	cfg.task_name = name;
	cfg.alloc_id = fx.alloc_id;
	cfg.alloc_name = "job.group[0]";
	cfg.alloc_dir = fx.alloc_dir;
	cfg.task_dir = task_dir;
	cfg.state_dir = state_dir;
	cfg.log_dir = fx.alloc_dir;
	cfg.env = env;
	cfg.config = tc;
	cfg.memory_mb = 32;
	cfg.cpu_mhz = 100;
	cfg.kill_signal = SIGTERM;
	cfg.kill_signal_set = 1;
	cfg.kill_timeout_ms = 2000;
	cfg.network = net;
	r = fx.drv->start(fx.ctx, &cfg, &task, &h, &err);
	free(h.data);
	if (err_out) {
		cr_assert_lt(r, 0, "start of %s should have failed", name);
		cr_assert_null(task);
		*err_out = err;
		return NULL;
	}
	cr_assert_eq(r, 0, "start of %s: %d %s", name, r, err.message);
	return task;
}

/* The group's network as the host hands it to tasks. */
static drover_network group_network(const drover_network_created *c)
{
	drover_network n;

	memset(&n, 0, sizeof(n));
	n.struct_size = sizeof(n);
	n.mode = "bridge";
	n.netns_path = c ? c->netns_path : NULL;
	n.hostname = HOSTNAME;
	n.created_handle = c ? c->handle.data : NULL;
	n.created_handle_len = c ? c->handle.len : 0;
	return n;
}

static drover_exit_result wait_exit(drover_task *task, long long deadline_ms)
{
	return plugin_fixture_wait_deadline(fx.drv, fx.ctx, task, deadline_ms);
}

static void destroy(drover_task *task)
{
	plugin_fixture_destroy(fx.drv, fx.ctx, task);
}

Test(docker_network, capabilities_say_group_and_must_initiate)
{
	drover_capabilities caps;

	memset(&caps, 0, sizeof(caps));
	caps.struct_size = sizeof(caps);
	cr_assert_eq(fx.drv->capabilities(NULL, &caps), 0);
	cr_assert(caps.network_modes & DROVER_NET_MODE_HOST);
	cr_assert(caps.network_modes & DROVER_NET_MODE_GROUP);
	cr_assert(caps.network_modes & DROVER_NET_MODE_NONE);
	cr_assert_eq(caps.must_initiate_network, 1);
	cr_assert_not_null(fx.drv->create_network);
	cr_assert_not_null(fx.drv->destroy_network);
	/* A 1.2 host's smaller struct is still answered. */
	memset(&caps, 0, sizeof(caps));
	caps.struct_size = offsetof(drover_capabilities, must_initiate_network);
	caps.must_initiate_network = 7;
	cr_assert_eq(fx.drv->capabilities(NULL, &caps), 0);
	cr_assert_eq(caps.must_initiate_network, 7, "wrote past a 1.2 host's struct");
}

Test(docker_network, create_network_runs_a_pause_container_in_a_namespace_of_its_own)
{
	drover_network_created c;
	char want[64], cmd[600];
	yajl_val v;
	long long pid = 0;
	int fd;

	instance(NULL);
	c = create_network();
	v = inspect(pause_name());
	cr_assert_not_null(v, "no container %s", pause_name());
	cr_assert(docker_json_bool(v, "State", "Running", NULL));
	cr_assert_eq(docker_json_int(&pid, v, "State", "Pid", NULL), 0);
	snprintf(want, sizeof(want), "/proc/%lld/ns/net", pid);
	cr_assert_str_eq(c.netns_path, want);
	cr_assert_str_eq(docker_json_str(v, "HostConfig", "NetworkMode", NULL), "none");
	cr_assert_str_eq(docker_json_str(v, "Config", "Hostname", NULL), HOSTNAME);
	cr_assert_str_eq(docker_json_str(v, "Config", "Image", NULL), pause_image());
	cr_assert_str_eq(docker_json_str(v, "Config", "Labels", "com.hashicorp.nomad.alloc_id",
	                                 NULL), fx.alloc_id);
	cr_assert_str_eq(docker_json_str(v, "Config", "Labels", "com.drover.network_state_dir",
	                                 NULL), fx.net_dir);
	/* The handle names that container. */
	cr_assert(memmem(c.handle.data, c.handle.len, docker_json_str(v, "Id", NULL), 64),
	          "handle %.*s", (int)c.handle.len, (char *)c.handle.data);
	yajl_tree_free(v);
	/* The path opens, as the host's bind mount needs, onto a namespace
	 * that is not the host's. */
	fd = open(c.netns_path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", c.netns_path, strerror(errno));
	close(fd);
	cr_assert_neq(netns_inode(c.netns_path), netns_inode("/proc/self/ns/net"));
	/* Loopback only, until the host's CNI adds more. */
	if (system("command -v nsenter >/dev/null && command -v ip >/dev/null") == 0) {
		snprintf(cmd, sizeof(cmd), "test \"$(nsenter --net=%s ip -o link show | "
		         "cut -d: -f2 | tr -d ' ')\" = lo", c.netns_path);
		cr_assert_eq(system(cmd), 0, "the pause container's namespace holds more than lo");
	}
	created_free(&c);
}

Test(docker_network, create_network_is_idempotent)
{
	drover_network_created a, b;
	char cmd[300];

	instance(NULL);
	a = create_network();
	b = create_network();
	cr_assert_str_eq(a.netns_path, b.netns_path);
	cr_assert_eq(a.handle.len, b.handle.len);
	cr_assert_eq(memcmp(a.handle.data, b.handle.data, a.handle.len), 0);
	snprintf(cmd, sizeof(cmd), "test \"$(docker ps -aq --filter label=com.hashicorp.nomad."
	         "alloc_id=%s | wc -l)\" = 1", fx.alloc_id);
	cr_assert_eq(system(cmd), 0, "a second create_network made a second container");
	created_free(&a);
	created_free(&b);
}

/* The server writes a page and serves it on 127.0.0.1 only; the client
 * fetches it (with nc: busybox-static's wget crashes without NSS), retrying until the server listens (it starts first, but its
 * httpd needs a moment), within `tries` tenths of a second. */
#define SERVE "mkdir -p /tmp/www && echo served-in-the-group > /tmp/www/index.html && " \
              "exec httpd -f -p 127.0.0.1:" PORT " -h /tmp/www"
#define FETCH(tries)                                                                   \
	"for i in $(seq 1 " #tries "); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | "           \
	"nc 127.0.0.1 " PORT " | grep -q served-in-the-group && exit 0; sleep 0.1; done; exit 1"

Test(docker_network, tasks_of_the_group_share_localhost, .timeout = 180)
{
	drover_network_created c;
	drover_network net;
	drover_task *server, *client, *outsider;
	drover_exit_result res;
	char want[128];
	yajl_val v;

	instance(NULL);
	c = create_network();
	net = group_network(&c);
	/* ports: published by CNI's portmap in a group, never by docker. */
	server = start_task("server", "\"ports\": [\"http\"]", SERVE, &net, NULL);
	client = start_task("client", NULL,
	                    "[ \"$(hostname)\" = " HOSTNAME " ] || exit 3; " FETCH(300), &net,
	                    NULL);
	res = wait_exit(client, 60000);
	cr_assert_eq(res.exit_code, 0, "the client could not reach the server on 127.0.0.1:%s "
	             "(exit %d; 3: wrong hostname)", PORT, res.exit_code);

	v = inspect(pause_name());
	snprintf(want, sizeof(want), "container:%s", docker_json_str(v, "Id", NULL));
	yajl_tree_free(v);
	{
		char name[128];
		snprintf(name, sizeof(name), "server-%s", fx.alloc_id);
		v = inspect(name);
		cr_assert_not_null(v);
		cr_assert_str_eq(docker_json_str(v, "HostConfig", "NetworkMode", NULL), want);
		yajl_val pb = docker_json_at(v, "HostConfig", "PortBindings", NULL);
		cr_assert(!pb || YAJL_IS_NULL(pb) || (YAJL_IS_OBJECT(pb) && pb->u.object.len == 0),
		          "docker published ports in a group network");
		yajl_val ep = docker_json_at(v, "Config", "ExposedPorts", NULL);
		cr_assert(!ep || YAJL_IS_NULL(ep) || (YAJL_IS_OBJECT(ep) && ep->u.object.len == 0),
		          "docker exposed ports in a group network");
		yajl_tree_free(v);
	}
	destroy(client);

	/* The control: the same client outside the group cannot reach it. */
	outsider = start_task("outsider", NULL, FETCH(3), NULL, NULL);
	res = wait_exit(outsider, 60000);
	cr_assert_neq(res.exit_code, 0, "a task outside the group reached its localhost");
	destroy(outsider);
	destroy(server);
	created_free(&c);
	snprintf(fx.cleanup + strlen(fx.cleanup), sizeof(fx.cleanup) - strlen(fx.cleanup),
	         "; docker rm -f outsider-%s >/dev/null 2>&1", fx.alloc_id);
}

Test(docker_network, destroy_network_removes_the_pause_container_and_is_idempotent)
{
	drover_network_request req;
	drover_network_created c;
	drover_err err = { "" };

	instance(NULL);
	c = create_network();
	req = net_request();
	cr_assert_eq(fx.drv->destroy_network(fx.ctx, &req, c.handle.data, c.handle.len, &err), 0,
	             "destroy_network: %s", err.message);
	cr_assert_null(inspect(pause_name()), "%s is still there", pause_name());
	cr_assert_eq(fx.drv->destroy_network(fx.ctx, &req, c.handle.data, c.handle.len, &err), 0,
	             "a second destroy_network: %s", err.message);
	cr_assert_eq(fx.drv->destroy_network(fx.ctx, &req, NULL, 0, &err), 0,
	             "destroy_network of nothing without a handle: %s", err.message);
	created_free(&c);
}

Test(docker_network, destroy_network_without_a_handle_finds_it_by_name)
{
	drover_network_request req;
	drover_network_created c;
	drover_err err = { "" };
	static const char damaged[] = "drover-docker-net 1\nnot-an-id\n";

	instance(NULL);
	c = create_network();
	req = net_request();
	cr_assert_eq(fx.drv->destroy_network(fx.ctx, &req, NULL, 0, &err), 0,
	             "destroy_network: %s", err.message);
	cr_assert_null(inspect(pause_name()), "%s is still there", pause_name());
	created_free(&c);

	/* A damaged handle is no handle either. */
	c = create_network();
	cr_assert_eq(fx.drv->destroy_network(fx.ctx, &req, damaged, sizeof(damaged) - 1, &err), 0,
	             "destroy_network: %s", err.message);
	cr_assert_null(inspect(pause_name()), "%s is still there", pause_name());
	created_free(&c);
}

Test(docker_network, infra_image_is_pulled_when_absent)
{
	char ref[160], cmd[400];
	drover_network_created c;

	drover_test_require(registry_up(), "no registry on " REGISTRY
	                    " (run scripts/test-services.sh start)");
	/* An image of this test's own, only in the registry. */
	snprintf(ref, sizeof(ref), REGISTRY "/drover-test/pause:%s-pull", fx.alloc_id);
	cr_assert(import_pause(ref), "importing %s failed", ref);
	snprintf(cmd, sizeof(cmd), "docker push %s >/dev/null && docker rmi %s >/dev/null", ref,
	         ref);
	cr_assert_eq(system(cmd), 0, "pushing %s failed", ref);
	snprintf(fx.cleanup + strlen(fx.cleanup), sizeof(fx.cleanup) - strlen(fx.cleanup),
	         "; docker rmi -f %s >/dev/null 2>&1", ref);
	instance(ref);
	c = create_network();
	snprintf(cmd, sizeof(cmd), "docker image inspect %s >/dev/null 2>&1", ref);
	cr_assert_eq(system(cmd), 0, "%s was not pulled", ref);
	created_free(&c);
}

Test(docker_network, infra_image_pull_failure_is_clear_and_leaves_nothing)
{
	drover_network_request req;
	drover_network_created out;
	drover_err err = { "" };
	char ref[160];
	int r;

	drover_test_require(registry_up(), "no registry on " REGISTRY
	                    " (run scripts/test-services.sh start)");
	snprintf(ref, sizeof(ref), REGISTRY "/drover-test/absent-pause:%s", fx.alloc_id);
	instance(ref);
	req = net_request();
	memset(&out, 0, sizeof(out));
	out.struct_size = sizeof(out);
	r = fx.drv->create_network(fx.ctx, &req, &out, &err);
	cr_assert_lt(r, 0, "create_network with an absent infra_image succeeded");
	cr_assert(strstr(err.message, ref), "the message does not name the image: %s", err.message);
	cr_assert(strstr(err.message, fx.alloc_id), "the message does not name the allocation: %s",
	          err.message);
	cr_assert_null(out.netns_path);
	cr_assert_null(out.handle.data);
	cr_assert_null(inspect(pause_name()), "a failed create_network left %s", pause_name());
}

Test(docker_network, task_fields_that_conflict_with_the_group_network_are_refused)
{
	static const struct {
		const char *json, *field;
	} cases[] = {
		{ "\"network_mode\": \"host\"", "network_mode" },
		{ "\"network_mode\": \"bridge\"", "network_mode" },
		{ "\"hostname\": \"mine\"", "hostname" },
		{ "\"mac_address\": \"02:42:ac:11:00:02\"", "mac_address" },
		{ "\"extra_hosts\": [\"db:10.0.0.1\"]", "extra_hosts" },
		{ "\"dns_servers\": [\"10.0.0.53\"]", "dns_servers" },
		{ "\"dns_search_domains\": [\"example.test\"]", "dns_search_domains" },
		{ "\"dns_options\": [\"ndots:2\"]", "dns_options" },
		{ "\"network_aliases\": [\"web\"]", "network_aliases" },
		{ "\"ipv4_address\": \"10.0.0.9\"", "ipv4_address" },
	};
	drover_network_created c;
	drover_network net;

	instance(NULL);
	c = create_network();
	net = group_network(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drover_err err = { "" };
		char q[64];
		fx.ntask_cfg = 0; /* each case reuses the slot */
		drover_value_clear(&fx.task_cfg[0]);
		start_task("server", cases[i].json, "true", &net, &err);
		snprintf(q, sizeof(q), "\"%s\"", cases[i].field);
		cr_assert(strstr(err.message, q) && strstr(err.message, "bridge"),
		          "case %zu: %s", i, err.message);
		cr_assert(strstr(err.message, "server"), "case %zu names no task: %s", i,
		          err.message);
	}
	created_free(&c);
}

Test(docker_network, a_task_whose_pause_container_is_missing_is_refused_clearly)
{
	drover_network net = group_network(NULL);
	drover_err err = { "" };

	instance(NULL);
	start_task("server", NULL, "true", &net, &err);
	cr_assert(strstr(err.message, pause_name()) && strstr(err.message, "does not exist"),
	          "%s", err.message);
	{
		char name[128];
		snprintf(name, sizeof(name), "server-%s", fx.alloc_id);
		cr_assert_null(inspect(name), "a refused task left container %s", name);
	}
}

/* ------------------------------------------------------ the hosts file */

#define ADDRESS "10.98.0.5"
#define HOSTS_HEAD "# this file was generated by drover\n127.0.0.1 localhost\n::1 localhost\n" \
	"::1 ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\nff00::0 ip6-mcastprefix\n"     \
	"ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\nff02::3 ip6-allhosts\n\n"               \
	"# this entry is the IP address and hostname of the allocation\n"                     \
	"# shared with tasks in the task group's network\n"

/* A task's stdout once it has exited (its log, in the allocation dir). */
static char *stdout_of(const char *name)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s.stdout.0", fx.alloc_dir, name);
	return plugin_fixture_read_file(path);
}

/* Runs `script` as task "client" of the group network `net` to its end;
 * its stdout. */
static char *run_client(const char *extra_json, const char *script, const drover_network *net)
{
	drover_task *task = start_task("client", extra_json, script, net, NULL);
	drover_exit_result res = wait_exit(task, 60000);
	char *out = stdout_of("client");

	cr_assert_eq(res.exit_code, 0, "exit %d: %s", res.exit_code, out ? out : "");
	cr_assert_not_null(out);
	return out;
}

/* As Nomad's docker driver in a group network: /etc/hosts is a file of its
 * own, the allocation's address under the group's Hostname, with the
 * task's extra_hosts in it rather than in Docker's ExtraHosts (refused
 * beside a "container:" network mode). */
Test(docker_network, a_bridge_task_gets_a_hosts_file_with_its_extra_hosts, .timeout = 180)
{
	drover_network_created c;
	drover_network net;
	char name[128], bind[600];
	yajl_val v, binds, eh;
	char *out;
	int found = 0;

	instance(NULL);
	c = create_network();
	net = group_network(&c);
	net.address = ADDRESS;
	out = run_client("\"extra_hosts\": [\"db.internal:10.0.0.9\", \"v6:fd00::1\"]",
	                 "cat /etc/hosts; echo x >> /etc/hosts 2>/dev/null && echo written || "
	                 "echo not-written",
	                 &net);
	/* Read-only: the container's root could write the file otherwise. */
	cr_assert_str_eq(out, HOSTS_HEAD ADDRESS " " HOSTNAME "\n\n"
	                      "# these entries are extra hosts added by the task config\n"
	                      "10.0.0.9 db.internal\nfd00::1 v6\nnot-written\n");
	free(out);
	snprintf(name, sizeof(name), "client-%s", fx.alloc_id);
	v = inspect(name);
	cr_assert_not_null(v);
	eh = docker_json_at(v, "HostConfig", "ExtraHosts", NULL);
	cr_assert(!eh || YAJL_IS_NULL(eh) || (YAJL_IS_ARRAY(eh) && eh->u.array.len == 0),
	          "extra_hosts went to docker as well");
	snprintf(bind, sizeof(bind), "%s/run-client/hosts:/etc/hosts:ro", fx.root);
	binds = docker_json_at(v, "HostConfig", "Binds", NULL);
	for (size_t i = 0; binds && YAJL_IS_ARRAY(binds) && i < binds->u.array.len; i++) {
		const char *b = YAJL_GET_STRING(binds->u.array.values[i]);
		found |= b && strcmp(b, bind) == 0;
	}
	cr_assert(found, "no bind %s", bind);
	yajl_tree_free(v);
	created_free(&c);
}

/* No Hostname: the pause container's, which Docker makes of the first 12
 * digits of its id, as Nomad writes it; the task's own host name agrees. */
Test(docker_network, without_a_hostname_the_hosts_file_names_the_pause_container,
     .timeout = 180)
{
	drover_network_request req = net_request();
	drover_network_created c;
	drover_network net;
	drover_err err = { "" };
	char want[1024];
	yajl_val v;
	char *out;

	instance(NULL);
	req.hostname = NULL;
	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	cr_assert_eq(fx.drv->create_network(fx.ctx, &req, &c, &err), 0, "create_network: %s",
	             err.message);
	net = group_network(&c);
	net.hostname = NULL;
	net.address = ADDRESS;
	v = inspect(pause_name());
	cr_assert_not_null(v);
	snprintf(want, sizeof(want), HOSTS_HEAD ADDRESS " %.12s\n--\n%.12s\n",
	         docker_json_str(v, "Id", NULL), docker_json_str(v, "Id", NULL));
	yajl_tree_free(v);
	out = run_client(NULL, "cat /etc/hosts; echo --; hostname", &net);
	cr_assert_str_eq(out, want);
	free(out);
	created_free(&c);
}

Test(docker_network, bad_extra_hosts_are_refused_naming_the_field)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "\"extra_hosts\": [\"db:10.0.0.256\"]", "\"10.0.0.256\" is not an IP address" },
		{ "\"extra_hosts\": [\"db:host-gateway\"]", "is not an IP address" },
		{ "\"extra_hosts\": [\"db:10.0.0.1\", \"two names:10.0.0.2\"]",
		  "\"extra_hosts\"[1] \"two names:10.0.0.2\" is not \"host:IP\"" },
		{ "\"extra_hosts\": [\"db\\n6.6.6.6 bank:10.0.0.1\"]", "is not \"host:IP\"" },
	};
	drover_network_created c;
	drover_network net;

	instance(NULL);
	c = create_network();
	net = group_network(&c);
	net.address = ADDRESS;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drover_err err = { "" };
		fx.ntask_cfg = 0; /* each case reuses the slot */
		drover_value_clear(&fx.task_cfg[0]);
		start_task("client", cases[i].json, "true", &net, &err);
		cr_assert(strstr(err.message, "task \"client\": docker config \"extra_hosts\"["),
		          "case %zu: %s", i, err.message);
		cr_assert(strstr(err.message, cases[i].want), "case %zu: %s", i, err.message);
	}
	/* In mode "none" the namespace has no address and drover writes no
	 * hosts file: extra_hosts has nowhere to go. */
	net.mode = "none";
	net.address = NULL;
	{
		drover_err err = { "" };
		fx.ntask_cfg = 0;
		drover_value_clear(&fx.task_cfg[0]);
		start_task("client", "\"extra_hosts\": [\"db:10.0.0.1\"]", "true", &net, &err);
		cr_assert(strstr(err.message, "\"extra_hosts\"") && strstr(err.message, "\"none\""),
		          "%s", err.message);
	}
	created_free(&c);
}

/* The dangling-container reaper on a daemon of the test's own (so that it can
 * reap nobody else's containers): the pause container belongs to no task, and
 * is spared while its allocation's run directory exists, then reaped. */
Test(docker_network, reaper_spares_the_pause_container_while_its_run_dir_exists,
     .timeout = 180)
{
	char dir[] = "/tmp/drover-docknetd.XXXXXX", docker[300], cmd[900], json[600];
	char log[400], infra[160];
	drover_network_created c;
	drover_fingerprint fp;
	drover_err err = { "" };
	long long end;
	pid_t pid;
	int status;

	drover_test_require(system("command -v dockerd unshare >/dev/null") == 0 && geteuid() == 0,
	                    "a second dockerd needs root, dockerd and unshare");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(docker, sizeof(docker), "docker -H unix://%s/docker.sock", dir);
	snprintf(log, sizeof(log), "%s/dockerd.log", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char host[400], data[400], exec_root[400], pidfile[400];
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		snprintf(host, sizeof(host), "unix://%s/docker.sock", dir);
		snprintf(data, sizeof(data), "%s/data", dir);
		snprintf(exec_root, sizeof(exec_root), "%s/exec", dir);
		snprintf(pidfile, sizeof(pidfile), "%s/dockerd.pid", dir);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close_range(3, ~0U, 0);
		execlp("unshare", "unshare", "--net", "--", "dockerd", "--host", host, "--data-root",
		       data, "--exec-root", exec_root, "--pidfile", pidfile, "--bridge=none",
		       "--iptables=false", "--ip-masq=false", "--storage-driver=vfs", (char *)NULL);
		_exit(127);
	}
	snprintf(fx.cleanup, sizeof(fx.cleanup), "kill %d 2>/dev/null; sleep 1; rm -rf %s",
	         (int)pid, dir);
	snprintf(infra, sizeof(infra), "drover-test/pause:%s", fx.alloc_id);
	snprintf(json, sizeof(json), "{\"endpoint\": \"unix://%s/docker.sock\", \"infra_image\": "
	         "\"%s\", \"gc\": {\"image\": false, \"dangling_containers\": {\"period\": \"1s\", "
	         "\"creation_grace\": \"1s\"}}}", dir, infra);
	checked(fx.drv->plugin_schema, json, &fx.plugin_cfg);
	cr_assert_eq(fx.drv->init(&fx.host, &fx.ctx, &err), 0, "init: %s", err.message);
	cr_assert_eq(fx.drv->set_config(fx.ctx, &fx.plugin_cfg, &err), 0, "%s", err.message);
	end = test_wait_now_ms() + 45000;
	for (;;) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		memset(&fp, 0, sizeof(fp));
		fp.struct_size = sizeof(fp);
		cr_assert_eq(fx.drv->fingerprint(fx.ctx, &fp, &err), 0, "%s", err.message);
		if (fp.health == DROVER_HEALTH_HEALTHY)
			break;
		cr_assert_lt(test_wait_now_ms(), end, "the test's dockerd is not healthy after 45 s (%s)", log);
		nanosleep(&ts, NULL);
	}
	snprintf(cmd, sizeof(cmd),
	         "set -e; d=$(mktemp -d); cp %s $d/pause; tar -C $d -cf $d.tar pause; "
	         "%s import --change 'ENTRYPOINT [\"/pause\"]' $d.tar %s >/dev/null; rm -rf $d $d.tar",
	         DROVER_TEST_PAUSE, docker, infra);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	c = create_network();
	/* A control: a container with drover's label that nothing owns, made
	 * after the pause container. Once the reaper has removed it, the pause
	 * container is past the creation grace too, and was looked at. */
	snprintf(cmd, sizeof(cmd), "%s create --name control-%s --label "
	         "com.hashicorp.nomad.alloc_id=control %s >/dev/null", docker, fx.alloc_id, infra);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s container inspect control-%s >/dev/null 2>&1", docker,
	         fx.alloc_id);
	end = test_wait_now_ms() + 20000;
	while (system(cmd) == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		cr_assert_lt(test_wait_now_ms(), end, "the reaper left a dangling container past its grace");
		cr_assert_eq(fx.drv->periodic(fx.ctx, &err), 0, "periodic: %s", err.message);
		nanosleep(&ts, NULL);
	}
	snprintf(cmd, sizeof(cmd), "%s container inspect %s >/dev/null 2>&1", docker, pause_name());
	cr_assert_eq(system(cmd), 0, "the reaper removed the pause container of a live allocation");
	/* The allocation is collected: its run directory goes. */
	cr_assert_eq(rmdir(fx.net_dir), 0);
	end = test_wait_now_ms() + 20000;
	while (system(cmd) == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		cr_assert_lt(test_wait_now_ms(), end, "the reaper left the pause container of a collected "
		             "allocation");
		cr_assert_eq(fx.drv->periodic(fx.ctx, &err), 0, "periodic: %s", err.message);
		nanosleep(&ts, NULL);
	}
	created_free(&c);
	fx.drv->fini(fx.ctx);
	fx.ctx = NULL;
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	fx.cleanup[0] = '\0';
}

#include "criterion_serial_main.h"

/* The docker driver: one container's whole lifecycle (create, start, wait,
 * remove) of `true` through the driver (start, wait, destroy) against the
 * same Engine API calls made directly with libcurl on the daemon's socket,
 * interleaved. The image is built locally as tests/integration/test_docker.c
 * builds it (`docker import` of a root holding busybox-static), under a tag
 * of this run, and removed at the end. Needs a dockerd on
 * /var/run/docker.sock (scripts/test-services.sh start).
 *
 * Knobs: BENCH_DOCKER_REPEAT (default 30), BENCH_DOCKER_SOCK. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_driver.h"

#define MEMORY_MB 64
#define CPU_MHZ 100

static char image[128];

static void image_cleanup(void *data)
{
	(void)data;
	const char *argv[] = {"/usr/local/bin/docker", "rmi", "-f", image, NULL};
	if (access(argv[0], X_OK) < 0)
		argv[0] = "/usr/bin/docker";
	if (bench_run(argv, 120000, NULL) != 0)
		fprintf(stderr, "bench_docker: docker rmi -f %s failed\n", image);
}

static void build_image(void)
{
	snprintf(image, sizeof(image), "drover-bench/busybox:%d", (int)getpid());
	char script[1024];
	snprintf(script, sizeof(script),
	         "set -e; d=$(mktemp -d); trap 'rm -rf $d $d.tar' EXIT; mkdir -p $d/bin; "
	         "cp /bin/busybox $d/bin/busybox; "
	         "for a in sh sleep true; do ln -s busybox $d/bin/$a; done; "
	         "tar -C $d -cf $d.tar . ; docker import $d.tar %s >/dev/null",
	         image);
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	bench_on_cleanup(image_cleanup, NULL);
	if (bench_run(argv, 300000, NULL) != 0)
		bench_die("building the image %s (docker import of busybox-static) failed", image);
}

/* ------------------------------------------------------------- direct API */

typedef struct api {
	CURL *curl;
	const char *sock;
	char body[65536];
	size_t len;
} api;

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
	api *a = userp;
	size_t len = size * n;
	size_t room = sizeof(a->body) - 1 - a->len;
	memcpy(a->body + a->len, data, len < room ? len : room);
	a->len += len < room ? len : room;
	a->body[a->len] = '\0';
	return len;
}

/* One request; the HTTP status, fatal on a transport error. */
static long api_call(api *a, const char *method, const char *path, const char *json)
{
	char url[512];
	snprintf(url, sizeof(url), "http://localhost%s", path);
	struct curl_slist *headers = NULL;
	a->len = 0;
	a->body[0] = '\0';
	curl_easy_reset(a->curl);
	curl_easy_setopt(a->curl, CURLOPT_UNIX_SOCKET_PATH, a->sock);
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT, 60L);
	if (json) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, json);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, "");
	}
	CURLcode rc = curl_easy_perform(a->curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK)
		bench_die("%s %s on %s: %s", method, path, a->sock, curl_easy_strerror(rc));
	long status = 0;
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static double direct_once(api *a, int index)
{
	char json[1024], path[256], name[96], id[80] = "";
	snprintf(name, sizeof(name), "drover-bench-direct-%d-%d", (int)getpid(), index);
	snprintf(json, sizeof(json),
	         "{\"Image\": \"%s\", \"Cmd\": [\"true\"], \"Env\": [\"PATH=/bin\"], "
	         "\"HostConfig\": {\"Memory\": %lld, \"CpuShares\": %d}}",
	         image, (long long)MEMORY_MB << 20, CPU_MHZ);
	snprintf(path, sizeof(path), "/containers/create?name=%s", name);
	long long t0 = bench_now_ns();
	long st = api_call(a, "POST", path, json);
	const char *p = strstr(a->body, "\"Id\":\"");
	if (st != 201 || !p || sscanf(p + 6, "%64[0-9a-f]", id) != 1)
		bench_die("POST /containers/create: HTTP %ld %s", st, a->body);
	snprintf(path, sizeof(path), "/containers/%s/start", id);
	if ((st = api_call(a, "POST", path, NULL)) != 204)
		bench_die("POST %s: HTTP %ld %s", path, st, a->body);
	snprintf(path, sizeof(path), "/containers/%s/wait", id);
	if ((st = api_call(a, "POST", path, NULL)) != 200 || !strstr(a->body, "\"StatusCode\":0"))
		bench_die("POST %s: HTTP %ld %s", path, st, a->body);
	snprintf(path, sizeof(path), "/containers/%s?v=1&force=1", id);
	if ((st = api_call(a, "DELETE", path, NULL)) != 204)
		bench_die("DELETE %s: HTTP %ld %s", path, st, a->body);
	return (double)(bench_now_ns() - t0) / 1e6;
}

/* ------------------------------------------------------------- driver */

static double driver_once(bench_driver *d, const char *root, int index)
{
	bench_task t;
	drover_err err = {{0}};
	char json[256];
	bench_task_prepare(&t, root, index);
	snprintf(json, sizeof(json), "{\"image\": \"%s\", \"command\": \"true\"}", image);
	long long t0 = bench_now_ns();
	if (bench_driver_start(d, &t, json, MEMORY_MB, CPU_MHZ, &err) < 0)
		bench_die("docker start of true (run %d): %s", index + 1, err.message);
	drover_exit_result res = bench_driver_reap(d, &t);
	long long t1 = bench_now_ns();
	if (res.exit_code != 0 || res.signal != 0)
		bench_die("the container of `true` ended with code %d, signal %d: %s", res.exit_code,
		          res.signal, res.error);
	bench_rm_rf(t.alloc_dir);
	return (double)(t1 - t0) / 1e6;
}

static void curl_cleanup(void *data)
{
	api *a = data;
	if (a->curl)
		curl_easy_cleanup(a->curl);
	a->curl = NULL;
	curl_global_cleanup();
}

int main(void)
{
	bench_begin("bench_docker");
	long long repeat = bench_env_count("BENCH_DOCKER_REPEAT", 30, 100000);
	static api a;
	static bench_driver d;
	a.sock = bench_env_path("BENCH_DOCKER_SOCK", "/var/run/docker.sock");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(a.curl = curl_easy_init()))
		bench_die("libcurl initialisation failed");
	bench_on_cleanup(curl_cleanup, &a);
	if (api_call(&a, "GET", "/_ping", NULL) != 200)
		bench_die("no dockerd answers on %s (scripts/test-services.sh start)", a.sock);
	if (setenv("DROVER_DOCKER_LOGGER",
	           bench_env_path("DROVER_DOCKER_LOGGER", BENCH_DOCKER_LOGGER_DEFAULT), 1) < 0)
		bench_die("setenv: %s", strerror(errno));
	build_image();
	char *root = bench_tmpdir("docker");
	char plugin[512];
	snprintf(plugin, sizeof(plugin), "{\"endpoint\": \"unix://%s\"}", a.sock);
	bench_driver_open(&d, bench_env_path("BENCH_DOCKER_SO", BENCH_DOCKER_SO_DEFAULT), plugin);
	bench_samples drv = {0}, base = {0};
	/* One of each first, unmeasured: the daemon's first container of an image
	 * pays for layer setup that no later one does. */
	driver_once(&d, root, 1000000);
	direct_once(&a, 1000000);
	for (long long i = 0; i < repeat; i++) {
		bench_samples_add(&drv, driver_once(&d, root, (int)i));
		bench_samples_add(&base, direct_once(&a, (int)i));
	}
	bench_result("docker_lifecycle", "unit", "ms");
	bench_result_samples("docker_lifecycle", "samples", &drv);
	bench_result_samples("docker_lifecycle", "baseline", &base);
	bench_result("docker_lifecycle", "note",
	             "%lld containers of `true` (image %s, %d MiB, %d CPU shares), interleaved; "
	             "driver: start() (image inspect, create, start, drover-docker-logger started "
	             "under drover-shim), wait(), destroy() (logger stopped, container removed); "
	             "baseline: POST create, POST start, POST wait, DELETE ?force=1 with libcurl on "
	             "%s, one connection per call, no logs",
	             repeat, image, MEMORY_MB, CPU_MHZ, a.sock);
	fprintf(stderr, "bench_docker: lifecycle through the driver median %.1f ms, direct %.1f ms\n",
	        bench_samples_median(&drv), bench_samples_median(&base));
	bench_samples_clear(&drv);
	bench_samples_clear(&base);
	return bench_finish();
}

/* drover-nomad-driver: launch to the go-plugin handshake line, and its RSS
 * once serving raw_exec, against the raw_exec .so alone (loaded and
 * initialised through the same loader in a bare forked process).
 *
 * Knob: BENCH_NOMAD_REPEAT (default 20). Writes nothing (the figures then
 * say "not measured") when the build has no bridge. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "host_services.h"
#include "loader.h"

#define COOKIE "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255"

/* Forks a child that loads and initialises `so`, then waits; ms until it
 * said so, and its RSS then. */
static void so_alone(const char *so, double *ms, unsigned long long *rss_kib)
{
	int p[2];
	if (pipe(p) < 0)
		bench_die("pipe: %s", strerror(errno));
	long long t0 = bench_now_ns();
	pid_t pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		static drover_plugin plugin;
		drover_err err = {{0}};
		void *ctx = NULL;
		if (drover_loader_open(so, &plugin, &err) < 0)
			_exit(1);
		plugin.services = drover_host_services(NULL);
		plugin.services.host_data = &plugin;
		if (plugin.desc->init(&plugin.services, &ctx, &err) < 0)
			_exit(2);
		if (write(p[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		bench_die("%s: the loading child failed", so);
	*ms = (double)(bench_now_ns() - t0) / 1e6;
	close(p[0]);
	if (bench_proc_rss_kib(pid, rss_kib) < 0)
		bench_die("rss of %d", (int)pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Starts the bridge as go-plugin would: ms until the handshake line, RSS then. */
static void bridge_once(const char *bridge, const char *so, const char *sockdir, double *ms,
                        unsigned long long *rss_kib)
{
	int p[2];
	if (pipe(p) < 0)
		bench_die("pipe: %s", strerror(errno));
	long long t0 = bench_now_ns();
	pid_t pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		setenv("NOMAD_PLUGIN_MAGIC_COOKIE", COOKIE, 1);
		setenv("PLUGIN_PROTOCOL_VERSIONS", "2", 1);
		setenv("PLUGIN_UNIX_SOCKET_DIR", sockdir, 1);
		execl(bridge, bridge, so, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char line[512];
	size_t got = 0;
	while (got < sizeof(line) - 1) {
		ssize_t n = read(p[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		line[got] = '\0';
		if (strchr(line, '\n'))
			break;
	}
	line[got] = '\0';
	*ms = (double)(bench_now_ns() - t0) / 1e6;
	close(p[0]);
	if (!strstr(line, "|grpc|"))
		bench_die("%s: no handshake line (got \"%s\")", bridge, line);
	if (bench_proc_rss_kib(pid, rss_kib) < 0)
		bench_die("rss of %d", (int)pid);
	kill(pid, SIGTERM);
	if (bench_wait_child(pid, 5000, "drover-nomad-driver") != 0)
		bench_die("drover-nomad-driver did not exit cleanly on SIGTERM");
}

int main(void)
{
	bench_begin("bench_nomad");
	const char *bridge = bench_env_path("BENCH_NOMAD_BRIDGE", BENCH_NOMAD_BRIDGE_DEFAULT);
	const char *so = bench_env_path("BENCH_RAWEXEC_SO", BENCH_RAWEXEC_SO_DEFAULT);
	if (access(bridge, X_OK) != 0) {
		fprintf(stderr, "bench_nomad: no bridge at %s (configure built none): nothing measured\n",
		        bridge);
		return bench_finish();
	}
	setenv("DROVER_SHIM", bench_env_path("BENCH_SHIM", BENCH_SHIM_DEFAULT), 1);
	long long repeat = bench_env_count("BENCH_NOMAD_REPEAT", 20, 10000);
	char *sockdir = bench_tmpdir("nomad");
	bench_samples hs = {0}, hs_base = {0}, rss = {0}, rss_base = {0};
	for (long long i = 0; i < repeat; i++) {
		double ms;
		unsigned long long kib;
		so_alone(so, &ms, &kib);
		bench_samples_add(&hs_base, ms);
		bench_samples_add(&rss_base, (double)kib);
		bridge_once(bridge, so, sockdir, &ms, &kib);
		bench_samples_add(&hs, ms);
		bench_samples_add(&rss, (double)kib);
	}
	bench_result("nomad_handshake", "unit", "ms");
	bench_result_samples("nomad_handshake", "samples", &hs);
	bench_result_samples("nomad_handshake", "baseline", &hs_base);
	bench_result("nomad_handshake", "note",
	             "%lld launches of drover-nomad-driver serving raw_exec, from fork to the "
	             "handshake line on its stdout (exec, dynamic linking of gRPC, loader checks, "
	             "init, socket); baseline: fork, load and init of raw_exec.so in the bench "
	             "process, interleaved", repeat);
	bench_result("nomad_rss", "unit", "KiB");
	bench_result_samples("nomad_rss", "samples", &rss);
	bench_result_samples("nomad_rss", "baseline", &rss_base);
	bench_result("nomad_rss", "note",
	             "RSS of drover-nomad-driver right after its handshake line; baseline: RSS of "
	             "a forked bench process that loaded and initialised raw_exec.so");
	fprintf(stderr, "bench_nomad: handshake median %.1f ms (so alone %.1f ms), RSS %.0f KiB "
	        "(so alone %.0f KiB)\n", bench_samples_median(&hs), bench_samples_median(&hs_base),
	        bench_samples_median(&rss), bench_samples_median(&rss_base));
	bench_samples_clear(&hs);
	bench_samples_clear(&hs_base);
	bench_samples_clear(&rss);
	bench_samples_clear(&rss_base);
	return bench_finish();
}

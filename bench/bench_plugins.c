/* Plugin directory load plus fingerprint of every driver in it: in process
 * (drover_context_open, which reads the agent config, probes each plugin in a
 * forked child and loads it, then one fingerprint per driver as a command
 * asks it) and, for context, the whole `drover plugins` command.
 *
 * A command reuses the probe results and fingerprints the agent or an earlier
 * command left in the data dir (host/loader_cache.h): the first load fills
 * that cache and is reported apart ("cold"); the samples are the loads after
 * it, as every command but the first sees them.
 *
 * The target is for all three drivers; this tree ships the ones in
 * the plugin directory the build made (tests/plugins.d), and the result says
 * which were loaded.
 *
 * Knobs: BENCH_PLUGINS_REPEAT (default 50), BENCH_PLUGINS_CLI_REPEAT (30). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_jobs.h"
#include "context.h"

static void count_attribute(void *sink, const char *key, const char *value)
{
	(void)key;
	(void)value;
	(*(int *)sink)++;
}

/* One load: returns the plugins loaded; their names into `names`. */
static size_t load_once(const bench_cli *cli, double *ms, char *names, size_t len)
{
	drover_common_opts opts = {
		.config_path = cli->agent_config,
		.plugin_dir = cli->plugin_dir,
		.data_dir = cli->data_dir,
	};
	drover_context ctx;
	long long t0 = bench_now_ns();
	if (drover_context_open(&opts, &ctx) < 0)
		bench_die("drover_context_open failed (see above)");
	int attrs = 0;
	for (size_t i = 0; i < ctx.plugins.count; i++) {
		drover_plugin *p = ctx.plugins.plugins[i];
		drover_err err = {{0}};
		drover_fingerprint fp = {.struct_size = sizeof(fp), .sink = &attrs,
		                         .set_attribute = count_attribute};
		if (drover_plugin_fingerprint(p, 0, &fp, &err) < 0)
			bench_die("fingerprint of \"%s\": %s", p->desc->name, err.message);
	}
	long long t1 = bench_now_ns();
	if (ctx.plugin_errors.count > 0)
		bench_die("plugin refused while loading \"%s\": %s", cli->plugin_dir,
		          ctx.plugin_errors.lines[0]);
	size_t n = ctx.plugins.count;
	names[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(names + strlen(names), len - strlen(names), "%s%s", i ? ", " : "",
		         ctx.plugins.plugins[i]->desc->name);
	drover_context_close(&ctx);
	*ms = (double)(t1 - t0) / 1e6;
	return n;
}

int main(void)
{
	bench_begin("bench_plugins");
	long long repeat = bench_env_count("BENCH_PLUGINS_REPEAT", 50, 100000);
	long long cli_repeat = bench_env_count("BENCH_PLUGINS_CLI_REPEAT", 30, 100000);
	char *root = bench_tmpdir("plugins");
	bench_cli cli;
	bench_cli_setup(&cli, root);

	bench_samples inproc = {0}, whole = {0};
	char names[256] = "";
	size_t loaded = 0;
	double cold_ms = 0;
	loaded = load_once(&cli, &cold_ms, names, sizeof(names));
	for (long long i = 0; i < repeat; i++) {
		double ms;
		loaded = load_once(&cli, &ms, names, sizeof(names));
		if (loaded == 0)
			bench_die("no plugin loaded from \"%s\"", cli.plugin_dir);
		bench_samples_add(&inproc, ms);
	}
	const char *argv[] = {cli.drover,    "plugins",      "-config",  cli.agent_config,
	                      "-plugin-dir", cli.plugin_dir, "-data-dir", cli.data_dir,
	                      NULL};
	for (long long i = 0; i < cli_repeat; i++) {
		char *out = NULL;
		long long t0 = bench_now_ns();
		int rc = bench_run(argv, 30000, &out);
		long long t1 = bench_now_ns();
		if (rc != 0 || !strstr(out, "raw_exec"))
			bench_die("drover plugins exited %d without listing raw_exec:\n%s", rc, out);
		free(out);
		bench_samples_add(&whole, (double)(t1 - t0) / 1e6);
	}
	bench_result("plugins_load", "unit", "ms");
	bench_result_samples("plugins_load", "samples", &inproc);
	bench_result("plugins_load", "note",
	             "%lld loads in process of %s: agent config, directory scan, dlopen, init, "
	             "set_config, then fingerprint of each as a command asks it, with the probe "
	             "results and fingerprints the first load cached in the data dir; that first "
	             "load (a probe child per plugin, every driver asked) took %.1f ms",
	             repeat, names, cold_ms);
	if (loaded < 3)
		bench_result("plugins_load", "partial",
		             "%zu of 3 drivers loaded (%s): the exec and docker drivers are not in "
		             "this build", loaded, names);
	bench_result("plugins_cli", "unit", "ms");
	bench_result_samples("plugins_cli", "samples", &whole);
	bench_result("plugins_cli", "note",
	             "%lld runs of `drover plugins` from spawn to exit, with %s", cli_repeat, names);
	fprintf(stderr, "bench_plugins: load+fingerprint of %s median %.3f ms (cold %.3f ms); "
	        "drover plugins %.3f ms\n",
	        names, bench_samples_median(&inproc), cold_ms, bench_samples_median(&whole));
	bench_samples_clear(&inproc);
	bench_samples_clear(&whole);
	return bench_finish();
}

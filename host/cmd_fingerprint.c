/* drover fingerprint: the client attributes the drivers report, Nomad-style. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "context.h"

typedef struct attributes {
	drover_strv keys;
	drover_strv values;
} attributes;

static void collect_attribute(void *sink, const char *key, const char *value)
{
	attributes *a = sink;
	if (!key || !value)
		return;
	for (size_t i = 0; i < a->keys.count; i++) {
		if (strcmp(a->keys.items[i], key) == 0) {
			char *copy = strdup(value);
			if (copy) {
				free(a->values.items[i]);
				a->values.items[i] = copy;
			}
			return;
		}
	}
	if (drover_strv_push(&a->keys, key) == 0 && drover_strv_push(&a->values, value) < 0) {
		free(a->keys.items[--a->keys.count]);
		a->keys.items[a->keys.count] = NULL;
	}
}

static const char *health_name(drover_health h)
{
	return h == DROVER_HEALTH_HEALTHY ? "healthy" : h == DROVER_HEALTH_UNHEALTHY ? "unhealthy" : "undetected";
}

int drover_cmd_fingerprint(int argc, char **argv)
{
	drover_common_opts opts = {0};
	int json = 0;
	const drover_flag flags[] = {
		{"json", NULL, &json, "print JSON: health, description and attributes per driver"},
		{NULL, NULL, NULL, NULL},
	};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0 || args.count > 0) {
		fprintf(stderr, "drover fingerprint: %s\n", args.count ? "takes no arguments" : drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_strv_clear(&args);
	if (opts.help) {
		drover_flags_print_help(stdout, "drover fingerprint [options]",
		                        "Fingerprints every loaded driver and prints the client attributes\n"
		                        "it reports, as Nomad names them (driver.raw_exec = 1, ...).\n"
		                        "A driver that is not detected reports no attributes; its health\n"
		                        "and the reason are on stderr (or in -json).",
		                        flags);
		return DROVER_EXIT_OK;
	}
	drover_context ctx;
	if (drover_context_open(&opts, &ctx) < 0)
		return DROVER_EXIT_USAGE;

	yajl_gen g = NULL;
	if (json) {
		g = yajl_gen_alloc(NULL);
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_map_open(g);
	}
	for (size_t i = 0; i < ctx.plugins.count; i++) {
		drover_plugin *p = ctx.plugins.plugins[i];
		attributes attrs = {{0}, {0}};
		drover_fingerprint fp = {.struct_size = sizeof(fp), .sink = &attrs,
		                         .set_attribute = collect_attribute};
		/* Fresh: this command is how an operator asks the drivers now, not
		 * what the cache (host/loader_cache.h) remembers; the answer is
		 * cached for the commands that follow. */
		if (drover_plugin_fingerprint(p, 1, &fp, &err) < 0) {
			fp.health = DROVER_HEALTH_UNHEALTHY;
			snprintf(fp.description, sizeof(fp.description), "fingerprint failed: %.200s", drover_display(err.message));
		}
		if (json) {
			drover_gen_string(g, p->desc->name);
			yajl_gen_map_open(g);
			drover_gen_string(g, "health");
			drover_gen_string(g, health_name(fp.health));
			drover_gen_string(g, "health_description");
			drover_gen_string(g, fp.description);
			drover_gen_string(g, "attributes");
			yajl_gen_map_open(g);
			for (size_t k = 0; k < attrs.keys.count; k++) {
				drover_gen_string(g, attrs.keys.items[k]);
				drover_gen_string(g, attrs.values.items[k]);
			}
			yajl_gen_map_close(g);
			yajl_gen_map_close(g);
		} else {
			for (size_t k = 0; k < attrs.keys.count; k++)
				printf("%s = %s\n", drover_display(attrs.keys.items[k]), drover_display(attrs.values.items[k]));
			if (fp.health != DROVER_HEALTH_HEALTHY)
				fprintf(stderr, "drover: driver \"%s\" is %s: %s\n", p->desc->name,
				        health_name(fp.health), fp.description);
		}
		drover_strv_clear(&attrs.keys);
		drover_strv_clear(&attrs.values);
	}
	if (json) {
		yajl_gen_map_close(g);
		drover_gen_print(g);
		yajl_gen_free(g);
	}
	drover_context_report_plugin_errors(&ctx);
	drover_context_close(&ctx);
	return DROVER_EXIT_OK;
}

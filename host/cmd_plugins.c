/* drover plugins: what was loaded from the plugin directory, and what was not. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "context.h"
#include "json.h"
#include "value_tree.h"

static const char *health_name(drover_health h)
{
	switch (h) {
	case DROVER_HEALTH_HEALTHY:
		return "healthy";
	case DROVER_HEALTH_UNHEALTHY:
		return "unhealthy";
	default:
		return "undetected";
	}
}

static const char *field_type_name(drover_field_type t)
{
	static const char *const names[] = {"?", "string", "bool", "int", "float", "list(string)",
	                                    "map(string)", "block", "list(block)", "any"};
	return (t >= 1 && t <= DROVER_FIELD_ANY) ? names[t] : "?";
}

static void gen_schema(yajl_gen g, const drover_field *fields)
{
	yajl_gen_array_open(g);
	for (size_t i = 0; fields && fields[i].name; i++) {
		yajl_gen_map_open(g);
		drover_gen_string(g, "name");
		drover_gen_string(g, fields[i].name);
		drover_gen_string(g, "type");
		drover_gen_string(g, field_type_name(fields[i].type));
		drover_gen_string(g, "required");
		yajl_gen_bool(g, fields[i].required);
		/* The default as a JSON value ("zzz", 10, true), not JSON text in a
		 * string; null when there is none. */
		drover_gen_string(g, "default");
		drover_value def = {.type = DROVER_VALUE_NULL};
		drover_err err = {{0}};
		const char *dj = fields[i].default_json;
		if (dj && drover_json_parse("default", dj, strlen(dj), &def, &err) == 0)
			drover_json_gen_value(g, &def);
		else
			drover_gen_string(g, NULL);
		drover_value_clear(&def);
		drover_gen_string(g, "description");
		drover_gen_string(g, fields[i].description);
		if (fields[i].fields) {
			drover_gen_string(g, "fields");
			gen_schema(g, fields[i].fields);
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void fingerprint_of(drover_plugin *p, drover_fingerprint *fp)
{
	drover_err err = {{0}};
	*fp = (drover_fingerprint){.struct_size = sizeof(*fp)};
	if (drover_plugin_fingerprint(p, 0, fp, &err) < 0) {
		fp->health = DROVER_HEALTH_UNHEALTHY;
		snprintf(fp->description, sizeof(fp->description), "fingerprint failed: %.200s", drover_display(err.message));
	}
}

static void print_json(drover_context *ctx)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	drover_gen_string(g, "plugin_dir");
	drover_gen_string(g, ctx->plugin_dir);
	drover_gen_string(g, "plugins");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < ctx->plugins.count; i++) {
		drover_plugin *p = ctx->plugins.plugins[i];
		drover_fingerprint fp;
		fingerprint_of(p, &fp);
		yajl_gen_map_open(g);
		drover_gen_string(g, "name");
		drover_gen_string(g, p->desc->name);
		drover_gen_string(g, "version");
		drover_gen_string(g, p->desc->version);
		drover_gen_string(g, "description");
		drover_gen_string(g, p->desc->description);
		drover_gen_string(g, "abi_major");
		yajl_gen_integer(g, p->desc->abi_major);
		drover_gen_string(g, "abi_minor");
		yajl_gen_integer(g, p->desc->abi_minor);
		drover_gen_string(g, "path");
		drover_gen_string(g, p->path);
		drover_gen_string(g, "health");
		drover_gen_string(g, health_name(fp.health));
		drover_gen_string(g, "health_description");
		drover_gen_string(g, fp.description);
		drover_gen_string(g, "plugin_config_schema");
		gen_schema(g, p->desc->plugin_schema);
		drover_gen_string(g, "task_config_schema");
		gen_schema(g, p->desc->task_schema);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	drover_gen_string(g, "refused");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < ctx->plugin_errors.count; i++)
		drover_gen_string(g, ctx->plugin_errors.lines[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	drover_gen_print(g);
	yajl_gen_free(g);
}

static void print_table(drover_context *ctx)
{
	printf("%-12s %-9s %-5s %-11s %-s\n", "NAME", "VERSION", "ABI", "HEALTH", "PATH");
	for (size_t i = 0; i < ctx->plugins.count; i++) {
		drover_plugin *p = ctx->plugins.plugins[i];
		drover_fingerprint fp;
		fingerprint_of(p, &fp);
		char abi[16];
		snprintf(abi, sizeof(abi), "%u.%u", p->desc->abi_major, p->desc->abi_minor);
		printf("%-12s %-9s %-5s %-11s %s\n", p->desc->name, p->desc->version ? p->desc->version : "",
		       abi, health_name(fp.health), p->path);
		if (fp.description[0])
			printf("%-12s %s\n", "", drover_display(fp.description));
	}
}

int drover_cmd_plugins(int argc, char **argv)
{
	drover_common_opts opts = {0};
	int json = 0;
	const drover_flag flags[] = {
		{"json", NULL, &json, "print JSON, with each driver's config schemas"},
		{NULL, NULL, NULL, NULL},
	};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0 || args.count > 0) {
		fprintf(stderr, "drover plugins: %s\n", args.count ? "takes no arguments" : drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_strv_clear(&args);
	if (opts.help) {
		drover_flags_print_help(stdout, "drover plugins [options]",
		                        "Loads every plugin of the plugin directory and lists each driver:\n"
		                        "name, version, plugin ABI major.minor, path, health and its\n"
		                        "description. Plugins that were refused are listed on stderr with\n"
		                        "the reason.",
		                        flags);
		return DROVER_EXIT_OK;
	}
	drover_context ctx;
	if (drover_context_open(&opts, &ctx) < 0)
		return DROVER_EXIT_USAGE;
	if (json)
		print_json(&ctx);
	else if (ctx.plugins.count)
		print_table(&ctx);
	drover_context_report_plugin_errors(&ctx);
	/* Nothing usable is a failure a script must see, not an empty table. */
	int exit_code = DROVER_EXIT_OK;
	if (ctx.plugins.count == 0) {
		if (ctx.plugin_errors.count)
			fprintf(stderr, "drover plugins: every plugin in \"%s\" was refused (reasons above)\n",
			        drover_display(ctx.plugin_dir));
		else
			fprintf(stderr, "drover plugins: no plugin (*.so) in \"%s\": set -plugin-dir, or "
			        "plugin_dir in the agent config\n", drover_display(ctx.plugin_dir));
		exit_code = DROVER_EXIT_FAILURE;
	}
	drover_context_close(&ctx);
	return exit_code;
}

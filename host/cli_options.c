#include "config.h"

#include "cli_options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const drover_flag *find_flag(const drover_flag *flags, const char *name, size_t len)
{
	for (size_t i = 0; flags && flags[i].name; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

int drover_flags_parse(const drover_flag *flags, drover_common_opts *common, int argc, char **argv,
                       drover_strv *positional, drover_err *err)
{
	const drover_flag common_flags[] = {
		{"config", &common->config_path, NULL, NULL},
		{"plugin-dir", &common->plugin_dir, NULL, NULL},
		{"data-dir", &common->data_dir, NULL, NULL},
		{"help", NULL, &common->help, NULL},
		{"h", NULL, &common->help, NULL},
		{NULL, NULL, NULL, NULL},
	};
	int only_positional = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (only_positional || arg[0] != '-' || arg[1] == '\0') {
			if (drover_strv_push(positional, arg) < 0)
				return drover_err_set(err, -ENOMEM, "out of memory");
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_positional = 1;
			continue;
		}
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const drover_flag *f = find_flag(flags, name, len);
		if (!f)
			f = find_flag(common_flags, name, len);
		if (!f)
			return drover_err_set(err, -EINVAL, "unknown flag \"%s\" (see -help)", arg);
		if (f->set) {
			if (eq && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0)
				return drover_err_set(err, -EINVAL, "flag \"-%s\" takes true or false, not \"%s\"",
				                      f->name, eq + 1);
			*f->set = !(eq && strcmp(eq + 1, "false") == 0);
			continue;
		}
		if (eq) {
			*f->value = eq + 1;
		} else if (i + 1 < argc) {
			*f->value = argv[++i];
		} else {
			return drover_err_set(err, -EINVAL, "flag \"-%s\" needs a value", f->name);
		}
		if (**f->value == '\0')
			return drover_err_set(err, -EINVAL, "flag \"-%s\" needs a non-empty value", f->name);
	}
	return 0;
}

void drover_flags_print_help(FILE *out, const char *usage, const char *summary,
                             const drover_flag *flags)
{
	fprintf(out, "Usage: %s\n\n%s\n\nOptions:\n", usage, summary);
	for (size_t i = 0; flags && flags[i].name; i++)
		fprintf(out, "  -%-16s %s\n", flags[i].name, flags[i].help ? flags[i].help : "");
	fputs("  -config FILE      agent config (JSON): data_dir, plugin_dir, plugin options\n"
	      "  -plugin-dir DIR   where driver plugins (*.so) are loaded from\n"
	      "  -data-dir DIR     where allocations and state are kept\n"
	      "  -help             this text\n"
	      "Flags may be written -flag or --flag, with -flag=value or -flag value.\n",
	      out);
}

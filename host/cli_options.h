/* Command-line flags, Nomad style: `-flag`, `--flag`, `-flag=value`, `-flag value`.
 * Flags may stand before or after positional arguments; `--` ends the flags. */
#ifndef DROVER_HOST_CLI_OPTIONS_H
#define DROVER_HOST_CLI_OPTIONS_H

#include <drover/driver.h>

#include "util.h"

typedef struct drover_flag {
	const char *name;     /* without dashes */
	const char **value;   /* for flags that take a value, else NULL */
	int *set;             /* for boolean flags, else NULL */
	const char *help;     /* one line for -help */
} drover_flag;

/* The flags every subcommand takes. */
typedef struct drover_common_opts {
	const char *config_path;
	const char *plugin_dir;
	const char *data_dir;
	int help;
} drover_common_opts;

/* Parses argv[0..argc) (argv[0] is the first argument after the subcommand
 * name) against `flags` plus the common ones; positional arguments are
 * copied into `positional`. Unknown flags
 * and missing values are -EINVAL with a message naming the flag. */
int drover_flags_parse(const drover_flag *flags, drover_common_opts *common, int argc, char **argv,
                       drover_strv *positional, drover_err *err);

/* Prints the usage of a subcommand: `usage` line, `summary`, then each flag. */
void drover_flags_print_help(FILE *out, const char *usage, const char *summary,
                             const drover_flag *flags);

#endif

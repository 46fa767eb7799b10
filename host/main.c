/* drover: runs Nomad job files through task-driver plugins. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <drover/driver.h>

#include "build_tree.h"
#include "commands.h"
#include "display.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"plugins", drover_cmd_plugins, "list the loaded driver plugins, their ABI and health"},
	{"fingerprint", drover_cmd_fingerprint, "print the drivers' client attributes (driver.raw_exec = 1, ...)"},
	{"validate", drover_cmd_validate, "check a job file against the drivers' schemas"},
	{"run", drover_cmd_run, "run every task of a job (attached, or -detach)"},
	{"status", drover_cmd_status, "show recorded allocations and their tasks"},
	{"logs", drover_cmd_logs, "print (or follow) a task's stdout or stderr"},
	{"wait", drover_cmd_wait, "block until every task of an allocation is dead"},
	{"stop", drover_cmd_stop, "stop the tasks of an allocation"},
	{"signal", drover_cmd_signal, "send a signal to a task"},
	{"exec", drover_cmd_exec, "run a command inside a task"},
	{"gc", drover_cmd_gc, "remove dead allocations' directories and records"},
	{"agent", drover_cmd_agent, "run as the long-lived host of the data dir: adopt and supervise"},
};

static void usage(FILE *out)
{
	fputs("Usage: drover <command> [options] [args]\n\nCommands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fputs("\nEvery command takes -help, -config FILE, -plugin-dir DIR and -data-dir DIR.\n"
	      "See drover(1).\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return DROVER_EXIT_USAGE;
	}
	drover_build_tree_setup();
	const char *name = argv[1];
	if (strcmp(name, "help") == 0 && argc >= 3) {
		/* `drover help run` is `drover run -help`. */
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(commands[i].name, argv[2]) == 0) {
				char help[] = "-help";
				char *args[] = {help, NULL};
				return commands[i].run(1, args);
			}
		fprintf(stderr, "drover help: unknown command \"%s\"\n\n", drover_display(argv[2]));
		usage(stderr);
		return DROVER_EXIT_USAGE;
	}
	if (strcmp(name, "-help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return DROVER_EXIT_OK;
	}
	if (strcmp(name, "-version") == 0 || strcmp(name, "--version") == 0 ||
	    strcmp(name, "version") == 0) {
		printf("drover %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, DROVER_ABI_MAJOR,
		       DROVER_ABI_MINOR);
		return DROVER_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].run(argc - 2, argv + 2);
	fprintf(stderr, "drover: unknown command \"%s\"\n\n", drover_display(name));
	usage(stderr);
	return DROVER_EXIT_USAGE;
}

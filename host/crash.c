#include "config.h"

#include "crash.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "util.h"

extern char **environ;

/* What the thread is doing inside a driver; fixed buffers, so the handler
 * reads them without allocating. */
typedef struct crash_note {
	int active;
	char driver[64];
	char path[PATH_MAX];
	char call[32];
	char alloc[64];
	char task[128];
} crash_note;

static __thread crash_note note;
static char data_dir[PATH_MAX];
static int restart_after;
static char **saved_argv;
static int saved_argc;
static char **exec_args; /* built in the handler, allocated up front */
static char signal_arg[16];
static char *alt_stack;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

static void say(const char *s)
{
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}

static void die_as(int sig)
{
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

static void handler(int sig)
{
	if (!note.active || !data_dir[0] || !exec_args) {
		/* Not inside a driver call: a bug of drover itself; die as before. */
		die_as(sig);
		return;
	}
	int n = 0, v = sig;
	char digits[16];
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(digits));
	for (int i = 0; i < n; i++)
		signal_arg[i] = digits[n - 1 - i];
	signal_arg[n] = '\0';
	int k = 0;
	exec_args[k++] = saved_argv[0];
	exec_args[k++] = "__driver-crashed";
	exec_args[k++] = data_dir;
	exec_args[k++] = signal_arg;
	exec_args[k++] = note.driver;
	exec_args[k++] = note.path;
	exec_args[k++] = note.call;
	exec_args[k++] = note.alloc;
	exec_args[k++] = note.task;
	exec_args[k++] = restart_after ? "restart" : "exit";
	exec_args[k++] = "--";
	for (int i = 1; i < saved_argc; i++)
		exec_args[k++] = saved_argv[i];
	exec_args[k] = NULL;
	execve("/proc/self/exe", exec_args, environ);
	say("drover: a driver crashed and the crash could not be recorded (cannot re-execute "
	    "/proc/self/exe)\n");
	die_as(sig);
}

void drover_crash_install(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
	exec_args = calloc((size_t)argc + 16, sizeof(*exec_args));
	/* An alternate stack for the main thread: a driver that overflowed the
	 * stack still gets its crash reported. */
	alt_stack = malloc(SIGSTKSZ * 4);
	if (alt_stack) {
		stack_t ss = {.ss_sp = alt_stack, .ss_size = SIGSTKSZ * 4};
		sigaltstack(&ss, NULL);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
}

void drover_crash_set_data_dir(const char *dir)
{
	snprintf(data_dir, sizeof(data_dir), "%s", dir ? dir : "");
}

void drover_crash_restart_after(int restart)
{
	restart_after = restart;
}

void drover_crash_enter(const drover_plugin *plugin, const char *call, const char *alloc_id,
                        const char *task)
{
	snprintf(note.driver, sizeof(note.driver), "%s",
	         plugin && plugin->desc && plugin->desc->name ? plugin->desc->name : "?");
	snprintf(note.path, sizeof(note.path), "%s", plugin && plugin->path ? plugin->path : "");
	snprintf(note.call, sizeof(note.call), "%s", call);
	snprintf(note.alloc, sizeof(note.alloc), "%s", alloc_id ? alloc_id : "");
	snprintf(note.task, sizeof(note.task), "%s", task ? task : "");
	__atomic_store_n(&note.active, 1, __ATOMIC_SEQ_CST);
}

void drover_crash_leave(void)
{
	__atomic_store_n(&note.active, 0, __ATOMIC_SEQ_CST);
}

void drover_crash_plugin_id(const char *path, char *buf, size_t len)
{
	struct stat sb;
	if (path && stat(path, &sb) == 0)
		snprintf(buf, len, "%s@%lld.%09ld", path, (long long)sb.st_mtim.tv_sec,
		         sb.st_mtim.tv_nsec);
	else
		snprintf(buf, len, "%s", path ? path : "");
}

int drover_crash_quarantined(drover_state *st, const drover_plugin *plugin, char *why, size_t len)
{
	char id[PATH_MAX + 64];
	drover_err err = {{0}};
	int count = 0, signo = 0;
	char *call = NULL;
	drover_crash_plugin_id(plugin->path, id, sizeof(id));
	if (drover_state_fault_count(st, plugin->desc->name, id,
	                             drover_now_ms() - DROVER_CRASH_QUARANTINE_WINDOW_MS, &count, &call,
	                             &signo, &err) < 0 ||
	    count < DROVER_CRASH_QUARANTINE_LIMIT) {
		free(call);
		return 0;
	}
	snprintf(why, len,
	         "driver \"%s\" is quarantined: it crashed drover %d times within the last hour "
	         "(last in %s.%s, %s); replace \"%s\" with a fixed plugin to lift it",
	         plugin->desc->name, count, plugin->desc->name, call ? call : "?",
	         drover_signal_name(signo), plugin->path);
	free(call);
	return 1;
}

/* ------------------------------------------------- __driver-crashed command */

/* argv: data_dir signal driver path call alloc task restart|exit -- ARGS... */
int drover_cmd_driver_crashed(int argc, char **argv)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the handler ran with its signal blocked */
	if (argc < 9 || strcmp(argv[8], "--") != 0) {
		fprintf(stderr, "drover: __driver-crashed is internal to drover\n");
		return DROVER_EXIT_USAGE;
	}
	const char *dir = argv[0], *driver = argv[2], *path = argv[3], *call = argv[4];
	const char *alloc = argv[5], *task = argv[6];
	int signo = atoi(argv[1]);
	int restart = strcmp(argv[7], "restart") == 0;
	char what[512];
	snprintf(what, sizeof(what), "drover died while %s.%s ran (%s)", driver, call,
	         drover_signal_name(signo));
	fprintf(stderr, "drover: driver \"%s\" (%s) crashed with %s in %s.%s", driver, path,
	        drover_signal_name(signo), driver, call);
	if (task[0])
		fprintf(stderr, " for task \"%s\" of allocation %s", task, alloc);
	fputc('\n', stderr);

	drover_state *st = NULL;
	drover_err err = {{0}};
	int rc = drover_state_open(dir, &st, &err);
	if (rc == 0 && alloc[0] && task[0]) {
		drover_state_task *rows = NULL;
		size_t n = 0;
		int starting = 0;
		if (drover_state_task_list(st, alloc, &rows, &n, &err) == 0)
			for (size_t i = 0; i < n; i++)
				if (strcmp(rows[i].name, task) == 0)
					starting = strcmp(rows[i].state, "starting") == 0;
		drover_state_tasks_free(rows, n);
		if (drover_state_event_add(st, alloc, task, drover_now_ms(), "Driver Failure", what,
		                           &err) < 0 ||
		    (starting && drover_state_task_set_failed(st, alloc, task, &err) < 0) ||
		    drover_state_alloc_refresh_status(st, alloc, &err) < 0)
			fprintf(stderr, "drover: %s\n", err.message);
		else if (starting)
			fprintf(stderr, "drover: task \"%s\" is recorded failed: Driver Failure: %s\n", task,
			        what);
	}
	if (rc == 0) {
		char id[PATH_MAX + 64];
		drover_crash_plugin_id(path, id, sizeof(id));
		if (drover_state_fault_add(st, driver, id, call, signo, &err) < 0)
			fprintf(stderr, "drover: %s\n", err.message);
		/* The pid lives on in this process: give its allocations up so that
		 * the agent adopts them now, not after this process is gone. */
		drover_state_alloc *list = NULL;
		size_t n = 0;
		if (drover_state_alloc_list(st, &list, &n, &err) == 0)
			for (size_t i = 0; i < n; i++)
				if (list[i].owner_pid == (int)getpid())
					drover_state_alloc_release(st, list[i].id, (int)getpid(), NULL);
		drover_state_allocs_free(list, n);
	} else {
		fprintf(stderr, "drover: cannot record the crash: %s\n", err.message);
	}
	drover_state_close(st);
	if (restart) {
		fprintf(stderr, "drover: starting the agent again (pid %d)\n", (int)getpid());
		fflush(stderr);
		char **args = calloc((size_t)argc, sizeof(*args));
		if (args) {
			int k = 0;
			args[k++] = "drover";
			for (int i = 9; i < argc; i++)
				args[k++] = argv[i];
			args[k] = NULL;
			execv("/proc/self/exe", args);
		}
		fprintf(stderr, "drover: cannot start the agent again: %s\n", strerror(errno));
	} else {
		fprintf(stderr, "drover: tasks of this process that still run are left to `drover "
		        "agent` (or `drover stop`)\n");
	}
	return DROVER_EXIT_FAILURE;
}

/* The raw_exec plugin loaded the way tests/integration/test_rawexec_driver.c
 * loads it: dlopen of the built module, a host services table made of
 * host/proc.c, no agent, no state store. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "bench_rawexec.h"
#include "proc.h"
#include "util.h"

static const char *const task_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C", NULL,
};

static void bench_log(void *host_data, drover_log_level level, const char *message)
{
	(void)host_data;
	if (level <= DROVER_LOG_WARN)
		fprintf(stderr, "raw_exec: %s\n", message);
}

static const drover_value *no_agent_config(void *host_data, const char *path)
{
	(void)host_data;
	(void)path;
	return NULL;
}

static void close_hook(void *data)
{
	bench_rawexec *rx = data;
	if (rx->ctx)
		rx->drv->fini(rx->ctx);
	rx->ctx = NULL;
	if (rx->so)
		dlclose(rx->so);
	rx->so = NULL;
}

void bench_rawexec_open(bench_rawexec *rx, int no_cgroups)
{
	const char *so = bench_env_path("BENCH_RAWEXEC_SO", BENCH_RAWEXEC_SO_DEFAULT);
	drover_proc_set_shim_path(bench_env_path("DROVER_SHIM", BENCH_SHIM_DEFAULT));
	memset(rx, 0, sizeof(*rx));
	rx->so = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!rx->so)
		bench_die("dlopen \"%s\": %s", so, dlerror());
	drover_driver_entry_fn entry = (drover_driver_entry_fn)dlsym(rx->so, DROVER_DRIVER_ENTRY_SYMBOL);
	if (!entry)
		bench_die("\"%s\" has no %s", so, DROVER_DRIVER_ENTRY_SYMBOL);
	rx->drv = entry();
	rx->host.struct_size = sizeof(rx->host);
	rx->host.abi_major = DROVER_ABI_MAJOR;
	rx->host.abi_minor = DROVER_ABI_MINOR;
	rx->host.log = bench_log;
	rx->host.agent_config = no_agent_config;
	rx->host.proc_spawn = drover_proc_spawn;
	rx->host.proc_wait_fd = drover_proc_wait_fd;
	rx->host.proc_status = drover_proc_status;
	rx->host.proc_signal = drover_proc_signal;
	rx->host.proc_stop = drover_proc_stop;
	rx->host.proc_find = drover_proc_find;

	static const char *const keys[] = {"enabled", "no_cgroups"};
	drover_value values[2] = {{.type = DROVER_VALUE_BOOL}, {.type = DROVER_VALUE_BOOL}};
	values[0].u.boolean = 1;
	values[1].u.boolean = no_cgroups;
	drover_value config = {.type = DROVER_VALUE_OBJECT};
	config.u.object.count = 2;
	config.u.object.keys = keys;
	config.u.object.values = values;
	drover_err err = {{0}};
	if (rx->drv->init(&rx->host, &rx->ctx, &err) < 0)
		bench_die("raw_exec init: %s", err.message);
	bench_on_cleanup(close_hook, rx);
	if (rx->drv->set_config(rx->ctx, &config, &err) < 0)
		bench_die("raw_exec set_config: %s", err.message);
}

void bench_task_prepare(bench_task *t, const char *root, int index)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->alloc_id, sizeof(t->alloc_id), "bench-%d-%d", (int)getpid(), index);
	snprintf(t->id, sizeof(t->id), "%s/task", t->alloc_id);
	snprintf(t->alloc_dir, sizeof(t->alloc_dir), "%s/a%d", root, index);
	snprintf(t->task_dir, sizeof(t->task_dir), "%s/task", t->alloc_dir);
	snprintf(t->log_dir, sizeof(t->log_dir), "%s/alloc/logs", t->alloc_dir);
	snprintf(t->state_dir, sizeof(t->state_dir), "%s/run", t->alloc_dir);
	int rc = drover_mkdir_p(t->task_dir, 0755);
	if (rc == 0)
		rc = drover_mkdir_p(t->log_dir, 0755);
	if (rc == 0)
		rc = drover_mkdir_p(t->state_dir, 0700);
	if (rc < 0)
		bench_die("cannot create the allocation directory \"%s\": %s", t->alloc_dir,
		          strerror(-rc));
}

int bench_task_start(bench_rawexec *rx, bench_task *t, const char *const *argv,
                     unsigned log_max_files, unsigned long long log_max_file_size_mb,
                     drover_err *err)
{
	drover_value args[16];
	size_t nargs = 0;
	while (argv[nargs + 1]) {
		if (nargs == 16)
			bench_die("too many task arguments");
		args[nargs] = (drover_value){.type = DROVER_VALUE_STRING};
		args[nargs].u.string.ptr = argv[nargs + 1];
		args[nargs].u.string.len = strlen(argv[nargs + 1]);
		nargs++;
	}
	static const char *const keys[] = {"command", "args"};
	drover_value values[2] = {{.type = DROVER_VALUE_STRING}, {.type = DROVER_VALUE_ARRAY}};
	values[0].u.string.ptr = argv[0];
	values[0].u.string.len = strlen(argv[0]);
	values[1].u.array.count = nargs;
	values[1].u.array.items = args;
	drover_value config = {.type = DROVER_VALUE_OBJECT};
	config.u.object.count = 2;
	config.u.object.keys = keys;
	config.u.object.values = values;

	drover_task_config cfg = {
		.struct_size = sizeof(cfg),
		.id = t->id,
		.job_id = "bench",
		.job_name = "bench",
		.group_name = "bench",
		.task_name = "task",
		.alloc_id = t->alloc_id,
		.alloc_name = "bench.bench[0]",
		.alloc_dir = t->alloc_dir,
		.task_dir = t->task_dir,
		.state_dir = t->state_dir,
		.log_dir = t->log_dir,
		.env = task_env,
		.config = &config,
		.kill_signal = SIGTERM,
		.kill_timeout_ms = 5000,
		.log_max_files = log_max_files,
		.log_max_file_size_mb = log_max_file_size_mb,
	};
	drover_handle handle = {NULL, 0};
	int rc = rx->drv->start(rx->ctx, &cfg, &t->task, &handle, err);
	if (rc < 0)
		return rc;
	free(handle.data);
	drover_task_status st = {.struct_size = sizeof(st)};
	if (rx->drv->inspect(rx->ctx, t->task, &st, err) < 0)
		bench_die("inspect of task %s: %s", t->id, err->message);
	int shim = 0;
	if (sscanf(st.detail, "drover-shim pid %d", &shim) != 1 || shim <= 0)
		bench_die("inspect of task %s: no drover-shim pid in \"%s\"", t->id, st.detail);
	t->shim_pid = shim;
	t->pid = st.pid;
	return 0;
}

static void destroy(bench_rawexec *rx, bench_task *t)
{
	drover_err err = {{0}};
	drover_exit_result res = {.struct_size = sizeof(res)};
	if (rx->drv->wait(rx->ctx, t->task, 0, &res, &err) < 0)
		bench_die("wait of task %s: %s", t->id, err.message);
	if (rx->drv->destroy(rx->ctx, t->task, 0, &err) < 0)
		bench_die("destroy of task %s: %s", t->id, err.message);
	t->task = NULL;
}

void bench_task_reap(bench_rawexec *rx, bench_task *t)
{
	if (t->task)
		destroy(rx, t);
}

void bench_task_stop(bench_rawexec *rx, bench_task *t)
{
	if (!t->task)
		return;
	drover_err err = {{0}};
	if (rx->drv->stop(rx->ctx, t->task, SIGTERM, 5000, &err) < 0) {
		drover_task *task = t->task;
		t->task = NULL; /* never stopped twice by a cleanup hook */
		if (rx->drv->destroy(rx->ctx, task, 1, &err) < 0)
			fprintf(stderr, "destroy -force of task %s: %s\n", t->id, err.message);
		bench_die("stop of task %s: %s", t->id, err.message);
	}
	destroy(rx, t);
}

/* A driver plugin loaded the way the host loads one, for any driver. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_driver.h"
#include "json.h"
#include "proc.h"
#include "schema_check.h"
#include "util.h"
#include "value_tree.h"

static const char *const task_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C", NULL,
};

static void bench_log(void *host_data, drover_log_level level, const char *message)
{
	(void)host_data;
	if (level <= DROVER_LOG_WARN)
		fprintf(stderr, "driver: %s\n", message);
}

static const drover_value *agent_config(void *host_data, const char *path)
{
	const bench_driver *d = host_data;
	if (d->chroot_env && strcmp(path, "client.chroot_env") == 0)
		return d->chroot_env;
	return NULL;
}

void bench_json_value(const char *what, const char *json, drover_value *out)
{
	drover_err err = {{0}};
	if (drover_json_parse(what, json, strlen(json), out, &err) < 0)
		bench_die("%s", err.message);
}

/* As the host does: the config checked against the plugin's schema, which
 * also applies the defaults. */
static void checked(const drover_field *schema, const char *what, const char *json,
                    drover_value *out)
{
	drover_value in;
	drover_errlist errors = {0};
	bench_json_value(what, json, &in);
	int rc = drover_schema_check(schema, &in, what, out, &errors);
	drover_value_clear(&in);
	if (rc < 0)
		bench_die("%s", errors.count ? errors.lines[0] : "schema check failed");
	drover_errlist_clear(&errors);
}

static void close_hook(void *data)
{
	bench_driver *d = data;
	if (d->ctx)
		d->drv->fini(d->ctx);
	d->ctx = NULL;
	drover_value_clear(&d->plugin_cfg);
	if (d->so)
		dlclose(d->so);
	d->so = NULL;
}

void bench_driver_open(bench_driver *d, const char *so, const char *plugin_json)
{
	const drover_value *chroot_env = d->chroot_env;
	drover_proc_set_shim_path(bench_env_path("DROVER_SHIM", BENCH_SHIM_DEFAULT));
	memset(d, 0, sizeof(*d));
	d->chroot_env = chroot_env;
	d->so = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!d->so)
		bench_die("dlopen \"%s\": %s", so, dlerror());
	drover_driver_entry_fn entry = (drover_driver_entry_fn)dlsym(d->so, DROVER_DRIVER_ENTRY_SYMBOL);
	if (!entry)
		bench_die("\"%s\" has no %s", so, DROVER_DRIVER_ENTRY_SYMBOL);
	d->drv = entry();
	d->host.struct_size = sizeof(d->host);
	d->host.abi_major = DROVER_ABI_MAJOR;
	d->host.abi_minor = DROVER_ABI_MINOR;
	d->host.host_data = d;
	d->host.log = bench_log;
	d->host.agent_config = agent_config;
	d->host.proc_spawn = drover_proc_spawn;
	d->host.proc_wait_fd = drover_proc_wait_fd;
	d->host.proc_status = drover_proc_status;
	d->host.proc_signal = drover_proc_signal;
	d->host.proc_stop = drover_proc_stop;
	d->host.proc_find = drover_proc_find;
	checked(d->drv->plugin_schema, "plugin config", plugin_json, &d->plugin_cfg);
	drover_err err = {{0}};
	if (d->drv->init(&d->host, &d->ctx, &err) < 0)
		bench_die("%s init: %s", so, err.message);
	bench_on_cleanup(close_hook, d);
	if (d->drv->set_config(d->ctx, &d->plugin_cfg, &err) < 0)
		bench_die("%s set_config: %s", so, err.message);
}

int bench_driver_start(bench_driver *d, bench_task *t, const char *task_json, long long memory_mb,
                       long long cpu_mhz, drover_err *err)
{
	drover_value config;
	checked(d->drv->task_schema, "task config", task_json, &config);
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
		.cpu_mhz = cpu_mhz,
		.memory_mb = memory_mb,
		.kill_signal = SIGTERM,
		.kill_timeout_ms = 5000,
		.log_max_files = 1,
		.log_max_file_size_mb = 1,
	};
	drover_handle handle = {NULL, 0};
	int rc = d->drv->start(d->ctx, &cfg, &t->task, &handle, err);
	drover_value_clear(&config);
	free(handle.data);
	return rc;
}

drover_exit_result bench_driver_reap(bench_driver *d, bench_task *t)
{
	drover_err err = {{0}};
	drover_exit_result res = {.struct_size = sizeof(res)};
	if (!t->task)
		return res;
	if (d->drv->wait(d->ctx, t->task, 0, &res, &err) < 0)
		bench_die("wait of task %s: %s", t->id, err.message);
	if (d->drv->destroy(d->ctx, t->task, 1, &err) < 0)
		bench_die("destroy of task %s: %s", t->id, err.message);
	t->task = NULL;
	return res;
}

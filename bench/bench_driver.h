/* Any driver plugin at the driver level, as the host runs it: the built .so
 * loaded with dlopen, its plugin and task configs given as JSON and checked
 * against the plugin's own schemas as the host checks them (defaults
 * applied), the host's proc_* services (host/proc.c). bench_rawexec.h is the
 * raw_exec-only shortcut of the first figures; the exec and docker figures
 * use this one. */
#ifndef DROVER_BENCH_DRIVER_H
#define DROVER_BENCH_DRIVER_H

#include <drover/driver.h>

#include "bench_rawexec.h"

typedef struct bench_driver {
	void *so;
	const drover_driver *drv;
	drover_host host;
	void *ctx;
	drover_value plugin_cfg;
	/* Returned to the plugin for "client.chroot_env" when set. */
	const drover_value *chroot_env;
} bench_driver;

/* dlopen(so), init, set_config(plugin_json); closed by a cleanup hook, so `d`
 * must live until the program ends (static). Fatal on failure. */
void bench_driver_open(bench_driver *d, const char *so, const char *plugin_json);

/* start() with the task config `task_json` (checked against task_schema),
 * Resources.MemoryMB / CPU as given; the task's directories come from
 * bench_task_prepare. 0, or the driver's negative code with err filled. */
int bench_driver_start(bench_driver *d, bench_task *t, const char *task_json, long long memory_mb,
                       long long cpu_mhz, drover_err *err);

/* Blocking wait for the task's end, then destroy; the exit result. Fatal on
 * failure. Safe on a task that is not running (returns a zeroed result). */
drover_exit_result bench_driver_reap(bench_driver *d, bench_task *t);

/* A JSON text as a drover_value (fatal on malformed JSON, naming `what`). */
void bench_json_value(const char *what, const char *json, drover_value *out);

#endif

/* What the driver tests (test_rawexec_driver, test_exec_driver, test_docker)
 * set up alike: the plugin loaded from its .so as the host loads it, a host
 * services table with the real supervised-process services of host/proc.c
 * (the tasks run under a real drover-shim), and the removal of the test's
 * directory tree. Each test keeps its own log and agent_config callbacks. */
#ifndef DROVER_TEST_PLUGIN_FIXTURE_H
#define DROVER_TEST_PLUGIN_FIXTURE_H

#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include <drover/driver.h>

#include "proc.h"

/* dlopen's `so` (RTLD_NOW: an unresolved symbol fails here) and returns its
 * descriptor; *handle is for dlclose. */
static inline const drover_driver *plugin_fixture_load(const char *so, void **handle)
{
	drover_driver_entry_fn entry;

	*handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(*handle, "dlopen %s: %s", so, dlerror());
	entry = (drover_driver_entry_fn)dlsym(*handle, DROVER_DRIVER_ENTRY_SYMBOL);
	cr_assert_not_null(entry, "no %s in %s", DROVER_DRIVER_ENTRY_SYMBOL, so);
	return entry();
}

/* The host services as drover gives them, with the test's own callbacks. */
static inline void plugin_fixture_host(drover_host *host,
                                       void (*log)(void *, drover_log_level, const char *),
                                       const drover_value *(*agent_config)(void *, const char *))
{
	memset(host, 0, sizeof(*host));
	host->struct_size = sizeof(*host);
	host->abi_major = DROVER_ABI_MAJOR;
	host->abi_minor = DROVER_ABI_MINOR;
	host->log = log;
	host->agent_config = agent_config;
	host->proc_spawn = drover_proc_spawn;
	host->proc_wait_fd = drover_proc_wait_fd;
	host->proc_status = drover_proc_status;
	host->proc_signal = drover_proc_signal;
	host->proc_stop = drover_proc_stop;
	host->proc_find = drover_proc_find;
}

static inline int plugin_fixture_rm_entry(const char *path, const struct stat *st, int flag,
                                          struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes the test's directory tree without following its symlinks. */
static inline void plugin_fixture_rm_tree(const char *root)
{
	nftw(root, plugin_fixture_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* start, which must succeed with a task and a handle; the handle goes to
 * *handle or is freed. */
static inline drover_task *plugin_fixture_start(const drover_driver *drv, void *ctx,
                                                const drover_task_config *cfg,
                                                drover_handle *handle)
{
	drover_task *task = NULL;
	drover_handle h = { NULL, 0 };
	drover_err err = { "" };
	int r = drv->start(ctx, cfg, &task, &h, &err);

	cr_assert_eq(r, 0, "start: %d %s", r, err.message);
	cr_assert_not_null(task);
	cr_assert_not_null(h.data);
	if (handle)
		*handle = h;
	else
		free(h.data);
	return task;
}

/* wait without DROVER_WAIT_NOHANG: blocks until the task exited. */
static inline drover_exit_result plugin_fixture_wait(const drover_driver *drv, void *ctx,
                                                     drover_task *task)
{
	drover_exit_result res;
	drover_err err = { "" };

	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	cr_assert_eq(drv->wait(ctx, task, 0, &res, &err), 0, "wait: %s", err.message);
	return res;
}

/* destroy with force, which must succeed. */
static inline void plugin_fixture_destroy(const drover_driver *drv, void *ctx, drover_task *task)
{
	drover_err err = { "" };
	cr_assert_eq(drv->destroy(ctx, task, 1, &err), 0, "destroy: %s", err.message);
}

/* The whole (small) file, NUL-terminated, malloc'd; NULL when it cannot be
 * opened. */
static inline char *plugin_fixture_read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	cr_assert_not_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

#endif

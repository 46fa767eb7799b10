/* The handle of the shim-supervised drivers (raw_exec, exec): the drover_proc
 * of a task as bytes the host persists and hands back to recover after a
 * restart. Each driver has its own magic, so one never recovers the other's.
 *
 * Layout, version 1, integers little-endian:
 *   8  magic ("drvrawex" for raw_exec, "drvexec1" for exec)
 *   4  version (1)
 *   4  length of the body that follows, without the checksum
 *   body: 4 pid, 4 shim pid, 8 pid start time, 8 shim start time,
 *         8 started_at_ms, 4 state dir length, the state dir (no NUL)
 *   4  FNV-1a 32 of everything before it
 * A newer plugin reads older versions by the version field; this one refuses
 * any other version, and any blob that is truncated or damaged.
 */
#ifndef PLUGIN_HANDLE_H
#define PLUGIN_HANDLE_H

#include <stddef.h>

#include <drover/driver.h>

#define PLUGIN_HANDLE_VERSION 1u

/* A malloc()ed blob in *data / *len; `magic` is 8 characters. 0 or -ENOMEM. */
int plugin_handle_encode(const char *magic, const drover_proc *proc, void **data, size_t *len);

/* 0 and *proc filled, or -EINVAL with a message naming `driver` in err;
 * *proc untouched then. */
int plugin_handle_decode(const char *driver, const char *magic, const void *data, size_t len,
                         drover_proc *proc, drover_err *err);

#endif

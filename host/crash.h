/* Containing a crash of a driver. Drivers are shared objects loaded into the
 * host process (doc/drover-sdk.7): a driver that dereferences NULL in start()
 * takes the whole drover process down with it. The host cannot make that
 * safe, but it can make it loud and finite:
 *
 *   - around the driver calls that change what runs (start, recover, stop,
 *     wait, destroy), the calling thread notes which driver, call, allocation
 *     and task it is in (drover_crash_enter/leave; thread-local, no locks);
 *   - a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) raised while
 *     such a note is set re-executes the same binary (execve is
 *     async-signal-safe; the pid stays) as `drover __driver-crashed ...`,
 *     which says what crashed on stderr, records the task failed with
 *     "Driver Failure: drover died while <driver>.<call> ran", records the
 *     crash for quarantine and hands the process's allocations to the next
 *     owner. A crashed `drover agent` is then started again in the same
 *     process; any other command exits 1.
 *
 * A driver that crashed drover DROVER_CRASH_QUARANTINE_LIMIT times within
 * DROVER_CRASH_QUARANTINE_WINDOW_MS (the same plugin file: path and
 * modification time) is quarantined by the agent: none of its calls that
 * crashed run again until the file is replaced or the window has passed. */
#ifndef DROVER_HOST_CRASH_H
#define DROVER_HOST_CRASH_H

#include <stddef.h>

#include "loader.h"
#include "state_store.h"

#define DROVER_CRASH_QUARANTINE_LIMIT 3
#define DROVER_CRASH_QUARANTINE_WINDOW_MS (60LL * 60 * 1000)

/* Saves argv (for the agent's restart) and installs the handlers. */
void drover_crash_install(int argc, char **argv);
/* Where the crash is recorded: the data dir of the command (copied). */
void drover_crash_set_data_dir(const char *data_dir);
/* The agent asks to be started again after a crash. */
void drover_crash_restart_after(int restart);

void drover_crash_enter(const drover_plugin *plugin, const char *call, const char *alloc_id,
                        const char *task);
void drover_crash_leave(void);

/* "path@mtime": the identity of a plugin file for its fault records. */
void drover_crash_plugin_id(const char *path, char *buf, size_t len);

/* Fills `why` and returns 1 when `plugin` has crashed drover too often. */
int drover_crash_quarantined(drover_state *st, const drover_plugin *plugin, char *why,
                             size_t len);

/* The internal command the handler re-executes into. */
int drover_cmd_driver_crashed(int argc, char **argv);

#endif

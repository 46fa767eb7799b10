/* State loss made loud: allocation directories under <data_dir>/alloc whose
 * tasks' shims still run (their pids file names a live drover-shim, checked
 * by start time) but which the state store does not know, because the
 * database was deleted, truncated, lost its -wal or is damaged. Such tasks
 * would run with no command able to find, stop or collect them, so every
 * command that opens the store refuses to go on and names them. */
#ifndef DROVER_HOST_STATE_ORPHANS_H
#define DROVER_HOST_STATE_ORPHANS_H

#include <stdio.h>

#include "state_store.h"

/* Prints one line per live task of an unknown allocation directory to `out`,
 * prefixed with `cmd`; `st` may be NULL (the database could not be opened:
 * every allocation directory is unknown). Returns how many were found. */
int drover_state_orphans_report(const char *cmd, const char *data_dir, drover_state *st,
                                FILE *out);

/* 1 when a task of allocation `alloc_id` has a live drover-shim (found
 * through its state directory, drover_allocdir_state_dir). */
int drover_state_orphan_dir_live(const char *data_dir, const char *alloc_id);

/* Opens the store of `data_dir` and checks it as above: 0, or negative with
 * everything printed (the open error, the live tasks it does not know). */
int drover_state_open_checked(const char *cmd, const char *data_dir, drover_state **st);

#endif

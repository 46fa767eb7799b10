/* The allocation directory, laid out as Nomad lays it out:
 *
 *   <data_dir>/alloc/<alloc_id>/alloc/{logs,tmp,data}   shared by the group's tasks
 *   <data_dir>/alloc/<alloc_id>/<task>/{local,secrets,tmp}
 */
#ifndef DROVER_HOST_ALLOCDIR_H
#define DROVER_HOST_ALLOCDIR_H

#include <drover/driver.h>

typedef struct drover_allocdir {
	char *alloc_dir;  /* absolute */
	char *shared_dir; /* <alloc_dir>/alloc */
	char *log_dir;    /* <alloc_dir>/alloc/logs */
} drover_allocdir;

/* Creates the shared part. The data dir is created when missing. */
int drover_allocdir_create(const char *data_dir, const char *alloc_id, drover_allocdir *out,
                           drover_err *err);

/* Creates <alloc_dir>/<task>/{local,secrets,tmp}; *task_dir is malloc'd. `task`
 * is a name jobspec already checked to be a single safe path component. */
int drover_allocdir_create_task(const drover_allocdir *dirs, const char *task, char **task_dir,
                                drover_err *err);

/* Where the shim of `task` keeps its state (pids, exit-status): the one place
 * the host computes it, recorded with every start intent so that whoever
 * resumes the task looks there. malloc'd, NULL when out of memory. */
char *drover_allocdir_state_dir(const drover_allocdir *dirs, const char *task);

void drover_allocdir_clear(drover_allocdir *dirs);

#endif

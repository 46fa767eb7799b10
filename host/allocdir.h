/* The allocation directory, laid out as Nomad lays it out, and the host's
 * private run directory beside it:
 *
 *   <data_dir>/alloc/<alloc_id>/alloc/{logs,tmp,data}   shared by the group's tasks
 *   <data_dir>/alloc/<alloc_id>/<task>/{local,secrets,tmp}
 *   <data_dir>/run/<alloc_id>/<task>/   0700, the host's user only: drover-shim's
 *                                       exit-status and pids (a task can neither
 *                                       see nor write them)
 */
#ifndef DROVER_HOST_ALLOCDIR_H
#define DROVER_HOST_ALLOCDIR_H

#include <drover/driver.h>

typedef struct drover_allocdir {
	char *alloc_dir;  /* absolute */
	char *shared_dir; /* <alloc_dir>/alloc */
	char *log_dir;    /* <alloc_dir>/alloc/logs */
	char *run_dir;    /* <data_dir>/run/<alloc_id>, absolute */
} drover_allocdir;

/* Creates the shared part and the allocation's run directory. The data dir
 * is created when missing. */
int drover_allocdir_create(const char *data_dir, const char *alloc_id, drover_allocdir *out,
                           drover_err *err);

/* Fills out->run_dir (<data_dir resolved>/run/<alloc_id>) without creating
 * anything: for an allocation read back from the state store. */
int drover_allocdir_set_run_dir(const char *data_dir, const char *alloc_id, drover_allocdir *out,
                                drover_err *err);

/* Creates <alloc_dir>/<task>/{local,secrets,tmp} and the task's private
 * state directory <run_dir>/<task> (0700; the run directory and
 * <data_dir>/run too when missing); *task_dir and *state_dir are malloc'd.
 * `task` is a name jobspec already checked to be a single safe path
 * component that is not "alloc". */
int drover_allocdir_create_task(const drover_allocdir *dirs, const char *task, char **task_dir,
                                char **state_dir, drover_err *err);

/* Opens (creating with mode 0700 when missing) the directory `name` inside
 * `dfd`, one component, never through a symbolic link, and makes sure it is
 * owned by us and 0700: a descriptor, or a negative errno. */
int drover_private_dir_at(int dfd, const char *name);

void drover_allocdir_clear(drover_allocdir *dirs);

#endif

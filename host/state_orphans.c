#include "config.h"

#include "state_orphans.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocdir.h"
#include "proc.h"
#include "util.h"

/* The pids line drover-shim writes (host/proc.h): 1 and the pids when the
 * shim and its task are still the recorded processes. */
static int live_shim(const char *state_dir, int *task_pid, int *shim_pid)
{
	char path[DROVER_PATH_MAX + 16], buf[128], tail;
	snprintf(path, sizeof(path), "%s/pids", state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	unsigned long long task_start, shim_start;
	if (sscanf(buf, "%d %llu %d %llu%c", task_pid, &task_start, shim_pid, &shim_start, &tail) != 5)
		return 0;
	return drover_proc_alive(*shim_pid, shim_start);
}

/* Calls found(task, pids) for every task of allocation `id` whose shim
 * still runs; returns how many. */
static int live_tasks(const char *data_dir, const char *id,
                      void (*found)(void *arg, const char *task, int task_pid, int shim_pid),
                      void *arg)
{
	drover_allocdir dirs = {0};
	drover_err err = {{0}};
	if (drover_allocdir_set_run_dir(data_dir, id, &dirs, &err) < 0)
		return 0;
	DIR *td = opendir(dirs.run_dir);
	int live = 0;
	struct dirent *te;
	while (td && (te = readdir(td))) {
		if (te->d_name[0] == '.')
			continue;
		_cleanup_(drover_freep) char *state_dir = drover_allocdir_state_dir(&dirs, te->d_name);
		int task_pid = 0, shim_pid = 0;
		if (!state_dir || !live_shim(state_dir, &task_pid, &shim_pid))
			continue;
		live++;
		if (found)
			found(arg, te->d_name, task_pid, shim_pid);
	}
	if (td)
		closedir(td);
	drover_allocdir_clear(&dirs);
	return live;
}

int drover_state_orphan_dir_live(const char *data_dir, const char *alloc_id)
{
	return live_tasks(data_dir, alloc_id, NULL, NULL) > 0;
}

typedef struct report_arg {
	const char *cmd;
	const char *alloc_dir;
	FILE *out;
} report_arg;

static void report_one(void *arg, const char *task, int task_pid, int shim_pid)
{
	report_arg *r = arg;
	fprintf(r->out, "%s: allocation directory \"%s\" is not in the state database, yet its task "
	        "\"%s\" runs (pid %d, drover-shim pid %d)\n",
	        r->cmd, r->alloc_dir, task, task_pid, shim_pid);
}

/* The allocation ids the store holds, read once for the whole scan (every
 * command makes it: one query, not one per directory). */
typedef struct known_ids {
	char **ids;
	size_t n;
	int all; /* the store could not be read: every directory counts as known */
} known_ids;

static void known_load(drover_state *st, known_ids *k)
{
	drover_err err = {{0}};
	*k = (known_ids){0};
	/* Only a definite "no such row" makes a directory unknown. */
	if (st && drover_state_alloc_ids(st, &k->ids, &k->n, &err) < 0)
		k->all = 1;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int known(const known_ids *k, const char *id)
{
	return k->all || (k->n && bsearch(&id, k->ids, k->n, sizeof(*k->ids), cmp_id));
}

static void known_clear(known_ids *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->ids[i]);
	free(k->ids);
}

int drover_state_orphans_report(const char *cmd, const char *data_dir, drover_state *st, FILE *out)
{
	_cleanup_(drover_freep) char *root = drover_strdup_printf("%s/alloc", data_dir);
	DIR *d = root ? opendir(root) : NULL;
	if (!d)
		return 0;
	int found = 0;
	known_ids k;
	known_load(st, &k);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strspn(e->d_name, "0123456789abcdef-") != strlen(e->d_name) ||
		    known(&k, e->d_name))
			continue;
		_cleanup_(drover_freep) char *alloc_dir = drover_strdup_printf("%s/%s", root, e->d_name);
		report_arg r = {cmd, alloc_dir ? alloc_dir : e->d_name, out};
		found += live_tasks(data_dir, e->d_name, report_one, &r);
	}
	closedir(d);
	known_clear(&k);
	return found;
}

int drover_state_open_checked(const char *cmd, const char *data_dir, drover_state **out)
{
	drover_err err = {{0}};
	drover_state *st = NULL;
	int rc = drover_state_open(data_dir, &st, &err);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", cmd, err.message);
	int orphans = drover_state_orphans_report(cmd, data_dir, rc < 0 ? NULL : st, stderr);
	if (orphans > 0) {
		fprintf(stderr,
		        "%s: the state database \"%s/%s\" has lost %d running task%s (deleted, "
		        "truncated, its -wal removed, or damaged): refusing to go on, so that nothing "
		        "runs that no command can find. Restore the database, or stop those tasks "
		        "(kill the drover-shim pids named above, which kills their tasks) and move "
		        "their allocation directories away; then run the command again\n",
		        cmd, data_dir, DROVER_STATE_FILE, orphans, orphans == 1 ? "" : "s");
		drover_state_close(st);
		return -EUCLEAN;
	}
	if (rc < 0)
		return rc;
	*out = st;
	return 0;
}

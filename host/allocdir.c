#include "config.h"

#include "allocdir.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* Tasks may run as another user than the host (User), so the directories they
 * write to are world-writable, as Nomad makes them; tmp dirs are sticky. */
static int make_dir(const char *path, mode_t mode, drover_err *err)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return drover_err_set(err, -errno, "cannot create directory \"%s\": %s", path,
		                      strerror(errno));
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return drover_err_set(err, -ENOTDIR, "\"%s\" exists and is not a directory", path);
	if (chmod(path, mode) < 0)
		return drover_err_set(err, -errno, "cannot set the mode of \"%s\": %s", path,
		                      strerror(errno));
	return 0;
}

int drover_allocdir_create(const char *data_dir, const char *alloc_id, drover_allocdir *out,
                           drover_err *err)
{
	_cleanup_(drover_freep) char *allocs = drover_strdup_printf("%s/alloc", data_dir);
	if (!allocs)
		return drover_err_set(err, -ENOMEM, "out of memory");
	int rc = drover_mkdir_p(allocs, 0711);
	if (rc < 0)
		return drover_err_set(err, rc, "cannot create the data directory \"%s\": %s", allocs,
		                      strerror(-rc));
	char real[PATH_MAX];
	if (!realpath(allocs, real))
		return drover_err_set(err, -errno, "cannot resolve \"%s\": %s", allocs, strerror(errno));

	drover_allocdir d = {0};
	d.alloc_dir = drover_strdup_printf("%s/%s", real, alloc_id);
	d.shared_dir = d.alloc_dir ? drover_strdup_printf("%s/alloc", d.alloc_dir) : NULL;
	d.log_dir = d.shared_dir ? drover_strdup_printf("%s/logs", d.shared_dir) : NULL;
	_cleanup_(drover_freep) char *tmp = d.shared_dir ? drover_strdup_printf("%s/tmp", d.shared_dir) : NULL;
	_cleanup_(drover_freep) char *data = d.shared_dir ? drover_strdup_printf("%s/data", d.shared_dir) : NULL;
	if (!tmp || !data) {
		drover_allocdir_clear(&d);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	if ((rc = make_dir(d.alloc_dir, 0755, err)) < 0 || (rc = make_dir(d.shared_dir, 0777, err)) < 0 ||
	    (rc = make_dir(d.log_dir, 0755, err)) < 0 || (rc = make_dir(tmp, 01777, err)) < 0 ||
	    (rc = make_dir(data, 0777, err)) < 0) {
		drover_allocdir_clear(&d);
		return rc;
	}
	*out = d;
	return 0;
}

int drover_allocdir_create_task(const drover_allocdir *dirs, const char *task, char **task_dir,
                                drover_err *err)
{
	static const struct {
		const char *name;
		mode_t mode;
	} subdirs[] = {{"local", 0777}, {"secrets", 0777}, {"tmp", 01777}};
	char *dir = drover_strdup_printf("%s/%s", dirs->alloc_dir, task);
	if (!dir)
		return drover_err_set(err, -ENOMEM, "out of memory");
	int rc = make_dir(dir, 0777, err);
	for (size_t i = 0; rc == 0 && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		_cleanup_(drover_freep) char *sub = drover_strdup_printf("%s/%s", dir, subdirs[i].name);
		rc = sub ? make_dir(sub, subdirs[i].mode, err) : drover_err_set(err, -ENOMEM, "out of memory");
	}
	if (rc < 0) {
		free(dir);
		return rc;
	}
	*task_dir = dir;
	return 0;
}

char *drover_allocdir_state_dir(const drover_allocdir *dirs, const char *task)
{
	return drover_strdup_printf("%s/%s", dirs->alloc_dir, task);
}

void drover_allocdir_clear(drover_allocdir *dirs)
{
	free(dirs->alloc_dir);
	free(dirs->shared_dir);
	free(dirs->log_dir);
	*dirs = (drover_allocdir){0};
}

#include "config.h"

#include "allocdir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int drover_private_dir_at(int dfd, const char *name)
{
	struct stat st;
	int fd;

	if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	if (fstat(fd, &st) < 0 || (st.st_uid != geteuid() && (errno = EPERM)) ||
	    ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* <data_dir>/run/<alloc_id>[/<task>], each level private; the data dir is
 * the operator's (trusted) path. */
static int run_dir_create(const char *data_dir, const char *alloc_id, const char *task,
                          drover_err *err)
{
	const char *names[3] = { "run", alloc_id, task };
	int fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open the data directory \"%s\": %s", data_dir,
		                      strerror(errno));
	for (size_t i = 0; i < 3 && names[i]; i++) {
		int next = drover_private_dir_at(fd, names[i]);
		close(fd);
		if (next < 0)
			return drover_err_set(err, next,
			                      "cannot create the private run directory \"%s/run/%s%s%s\" "
			                      "(mode 0700, owned by uid %u): %s",
			                      data_dir, alloc_id, task ? "/" : "", task ? task : "",
			                      (unsigned)geteuid(), strerror(-next));
		fd = next;
	}
	close(fd);
	return 0;
}

int drover_allocdir_set_run_dir(const char *data_dir, const char *alloc_id, drover_allocdir *out,
                                drover_err *err)
{
	char real[PATH_MAX];

	if (!realpath(data_dir, real))
		return drover_err_set(err, -errno, "cannot resolve \"%s\": %s", data_dir, strerror(errno));
	free(out->run_dir);
	out->run_dir = drover_strdup_printf("%s/run/%s", real, alloc_id);
	if (!out->run_dir)
		return drover_err_set(err, -ENOMEM, "out of memory");
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
	/* The allocation directory is traversed (a task of another uid reaches
	 * its own directory and alloc/), not listed. */
	if ((rc = make_dir(d.alloc_dir, 0711, err)) < 0 || (rc = make_dir(d.shared_dir, 0777, err)) < 0 ||
	    (rc = make_dir(d.log_dir, 0755, err)) < 0 || (rc = make_dir(tmp, 01777, err)) < 0 ||
	    (rc = make_dir(data, 0777, err)) < 0) {
		drover_allocdir_clear(&d);
		return rc;
	}
	if ((rc = drover_allocdir_set_run_dir(data_dir, alloc_id, &d, err)) < 0 ||
	    (rc = run_dir_create(data_dir, alloc_id, NULL, err)) < 0) {
		drover_allocdir_clear(&d);
		return rc;
	}
	*out = d;
	return 0;
}

int drover_allocdir_create_task(const drover_allocdir *dirs, const char *task, char **task_dir,
                                char **state_dir, drover_err *err)
{
	/* The run directory is <data_dir>/run/<alloc_id>: split it back. */
	const char *slash = dirs->run_dir ? strrchr(dirs->run_dir, '/') : NULL;
	if (!slash || slash - dirs->run_dir < 4 || strncmp(slash - 4, "/run", 4) != 0)
		return drover_err_set(err, -EINVAL, "task \"%s\": the allocation has no run directory",
		                      task);
	_cleanup_(drover_freep) char *data_dir =
		strndup(dirs->run_dir, (size_t)(slash - 4 - dirs->run_dir));
	_cleanup_(drover_freep) char *state = drover_strdup_printf("%s/%s", dirs->run_dir, task);
	if (!data_dir || !state)
		return drover_err_set(err, -ENOMEM, "out of memory");
	int prc = run_dir_create(data_dir[0] ? data_dir : "/", slash + 1, task, err);
	if (prc < 0)
		return prc;

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
	*state_dir = state;
	state = NULL;
	return 0;
}

void drover_allocdir_clear(drover_allocdir *dirs)
{
	free(dirs->alloc_dir);
	free(dirs->shared_dir);
	free(dirs->log_dir);
	free(dirs->run_dir);
	*dirs = (drover_allocdir){0};
}

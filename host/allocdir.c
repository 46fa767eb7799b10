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
 * write to are world-writable, as Nomad makes them; tmp dirs are sticky.
 * Everything below the allocation directory may be replaced by a task or any
 * local user at any moment (a task directory is 0777), also between a check
 * and a use: each level is created and opened relative to its parent's
 * descriptor, never through a symbolic link, and its mode is set through the
 * descriptor (a chmod by path could be sent to any file of the host). Returns
 * the directory's descriptor. */
static int make_dir_at(int parent, const char *parent_path, const char *name, mode_t mode,
                       drover_err *err)
{
	struct stat st;
	int fd;

	if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
		return drover_err_set(err, -errno, "cannot create directory \"%s/%s\": %s",
		                      parent_path, name, strerror(errno));
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return drover_err_set(err, -ENOTDIR, "\"%s/%s\" exists and is not a directory",
		                      parent_path, name);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open directory \"%s/%s\": %s", parent_path,
		                      name, strerror(errno));
	if (fstat(fd, &st) < 0 || ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)) {
		int e = errno;
		close(fd);
		return drover_err_set(err, -e, "cannot set the mode of \"%s/%s\": %s", parent_path,
		                      name, strerror(e));
	}
	return fd;
}

static void close_fdp(int *fd)
{
	if (*fd >= 0)
		close(*fd);
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
	if (!d.log_dir) {
		drover_allocdir_clear(&d);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	/* The allocation directory is traversed (a task of another uid reaches
	 * its own directory and alloc/), not listed. */
	_cleanup_(close_fdp) int top = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0) {
		rc = drover_err_set(err, -errno, "cannot open \"%s\": %s", real, strerror(errno));
		drover_allocdir_clear(&d);
		return rc;
	}
	_cleanup_(close_fdp) int afd = make_dir_at(top, real, alloc_id, 0711, err);
	_cleanup_(close_fdp) int sfd = afd < 0 ? afd : make_dir_at(afd, d.alloc_dir, "alloc", 0777, err);
	int lfd = -1, tfd = -1, dfd = -1;
	rc = sfd;
	if (sfd >= 0 && (rc = lfd = make_dir_at(sfd, d.shared_dir, "logs", 0755, err)) >= 0 &&
	    (rc = tfd = make_dir_at(sfd, d.shared_dir, "tmp", 01777, err)) >= 0)
		rc = dfd = make_dir_at(sfd, d.shared_dir, "data", 0777, err);
	close_fdp(&lfd);
	close_fdp(&tfd);
	close_fdp(&dfd);
	if (rc < 0) {
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
	_cleanup_(close_fdp) int afd = open(dirs->alloc_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = afd >= 0 ? 0
	                  : drover_err_set(err, -errno, "cannot open the allocation directory \"%s\": %s",
	                                   dirs->alloc_dir, strerror(errno));
	_cleanup_(close_fdp) int tfd = rc < 0 ? -1 : make_dir_at(afd, dirs->alloc_dir, task, 0777, err);
	if (rc == 0 && tfd < 0)
		rc = tfd;
	for (size_t i = 0; rc == 0 && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		int sub = make_dir_at(tfd, dir, subdirs[i].name, subdirs[i].mode, err);
		if (sub < 0)
			rc = sub;
		close_fdp(&sub);
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

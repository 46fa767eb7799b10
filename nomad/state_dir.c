/* The per-task private state directory (drover_task_config.state_dir, ABI
 * 1.2) for tasks Nomad starts: drover-shim keeps the exit status and pids
 * there, so it must be a directory no task can write. Nomad's alloc dir is
 * the task's; the bridge keeps these under its own data directory,
 * <data>/run/<alloc_id>/<task>, each level 0700 and opened without following
 * links (drover_private_dir_at). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "allocdir.h"
#include "bridge.h"

#ifndef DROVER_NOMAD_DATADIR
#error "DROVER_NOMAD_DATADIR must be defined by the build"
#endif

const char *nomad_data_dir(void)
{
	const char *env = getenv("DROVER_NOMAD_DATA_DIR");
	return env && env[0] == '/' ? env : DROVER_NOMAD_DATADIR;
}

int nomad_state_dir(const char *alloc_id, const char *task, char *out, size_t size,
                    drover_err *err)
{
	const char *data = nomad_data_dir();
	if (!alloc_id || !*alloc_id)
		return drover_err_set(err, -EINVAL, "task \"%s\": \"alloc_id\" is required", task);
	if (mkdir(data, 0711) < 0 && errno != EEXIST)
		return drover_err_set(err, -errno, "cannot create the data directory \"%s\": %s "
		                      "(set DROVER_NOMAD_DATA_DIR)", data, strerror(errno));
	int fd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open the data directory \"%s\": %s", data,
		                      strerror(errno));
	const char *names[3] = {"run", alloc_id, task};
	for (int i = 0; i < 3; i++) {
		int next = drover_private_dir_at(fd, names[i]);
		close(fd);
		if (next < 0)
			return drover_err_set(err, next, "cannot create the private state directory "
			                      "\"%s/run/%s/%s\" (at \"%s\"): %s", data, alloc_id, task,
			                      names[i], strerror(-next));
		fd = next;
	}
	close(fd);
	int n = snprintf(out, size, "%s/run/%s/%s", data, alloc_id, task);
	return n < 0 || (size_t)n >= size ? drover_err_set(err, -ENAMETOOLONG, "state directory "
	                                                   "path too long") : 0;
}

/* Removes the files drover-shim and the driver left (one level) and the
 * directories, once the task is destroyed. Best effort: what is left is
 * harmless and private. */
void nomad_state_dir_remove(const char *alloc_id, const char *task)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/run/%s", nomad_data_dir(), alloc_id);
	int afd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (afd < 0)
		return;
	int tfd = openat(afd, task, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = tfd >= 0 ? fdopendir(tfd) : NULL;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	} else if (tfd >= 0) {
		close(tfd);
	}
	unlinkat(afd, task, AT_REMOVEDIR);
	close(afd);
	char run[4096];
	snprintf(run, sizeof(run), "%s/run", nomad_data_dir());
	int rfd = open(run, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd >= 0) {
		unlinkat(rfd, alloc_id, AT_REMOVEDIR); /* fails while other tasks of it live */
		close(rfd);
	}
}

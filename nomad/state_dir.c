/* The per-task private state directory (drover_task_config.state_dir, ABI
 * 1.2) for tasks Nomad starts: drover-shim keeps the exit status and pids
 * there, so it must be a directory no task can write. Nomad's alloc dir is
 * the task's; the bridge keeps these under its own data directory,
 * <data>/run/<alloc_id>/<task>, each level 0700 and opened without following
 * links (drover_private_dir_at). The allocation's network record, when the
 * driver made its namespace (driver_network.c), is <data>/run/<alloc_id>/alloc:
 * "alloc" is the one name Nomad refuses for a task, so no task's directory
 * can be it. */
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

/* <data>/run/<alloc_id>, each level created 0700 if missing and opened
 * without following links: a descriptor, or a negative errno with `err`
 * naming the level that failed. */
static int alloc_run_dir(const char *alloc_id, drover_err *err)
{
	const char *data = nomad_data_dir();
	if (mkdir(data, 0711) < 0 && errno != EEXIST)
		return drover_err_set(err, -errno, "cannot create the data directory \"%s\": %s "
		                      "(set DROVER_NOMAD_DATA_DIR)", data, strerror(errno));
	int fd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open the data directory \"%s\": %s", data,
		                      strerror(errno));
	const char *names[2] = {"run", alloc_id};
	for (int i = 0; i < 2; i++) {
		int next = drover_private_dir_at(fd, names[i]);
		close(fd);
		if (next < 0)
			return drover_err_set(err, next, "cannot create the private directory \"%s/run/%s\" "
			                      "(at \"%s\"): %s", data, alloc_id, names[i], strerror(-next));
		fd = next;
	}
	return fd;
}

int nomad_state_dir(const char *alloc_id, const char *task, char *out, size_t size,
                    drover_err *err)
{
	const char *data = nomad_data_dir();
	if (!alloc_id || !*alloc_id)
		return drover_err_set(err, -EINVAL, "task \"%s\": \"alloc_id\" is required", task);
	int afd = alloc_run_dir(alloc_id, err);
	if (afd < 0)
		return afd;
	int fd = drover_private_dir_at(afd, task);
	close(afd);
	if (fd < 0)
		return drover_err_set(err, fd, "cannot create the private state directory "
		                      "\"%s/run/%s/%s\": %s", data, alloc_id, task, strerror(-fd));
	close(fd);
	int n = snprintf(out, size, "%s/run/%s/%s", data, alloc_id, task);
	return n < 0 || (size_t)n >= size ? drover_err_set(err, -ENAMETOOLONG, "state directory "
	                                                   "path too long") : 0;
}

int nomad_alloc_run_dir(const char *alloc_id, char *out, size_t size, drover_err *err)
{
	int fd = alloc_run_dir(alloc_id, err);
	if (fd < 0)
		return fd;
	close(fd);
	int n = snprintf(out, size, "%s/run/%s", nomad_data_dir(), alloc_id);
	return n < 0 || (size_t)n >= size ? drover_err_set(err, -ENAMETOOLONG, "allocation "
	                                                   "directory path too long") : 0;
}

/* ------------------------------------------------------------ network record */

/* Opens an existing <data>/run/<alloc_id>/alloc without creating anything
 * and without following links; a negative errno when a level is missing. */
static int open_record_dir(const char *alloc_id)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/run", nomad_data_dir()) >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	const char *names[2] = {alloc_id, NOMAD_NETWORK_RECORD_DIR};
	for (int i = 0; i < 2; i++) {
		int next = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (next < 0)
			return -e;
		fd = next;
	}
	return fd;
}

int nomad_network_record_write(const char *alloc_id, const void *data, size_t len,
                               drover_err *err)
{
	int afd = alloc_run_dir(alloc_id, err);
	if (afd < 0)
		return afd;
	int dfd = drover_private_dir_at(afd, NOMAD_NETWORK_RECORD_DIR);
	close(afd);
	if (dfd < 0)
		return drover_err_set(err, dfd, "cannot create \"%s/run/%s/%s\": %s", nomad_data_dir(),
		                      alloc_id, NOMAD_NETWORK_RECORD_DIR, strerror(-dfd));
	/* A whole record or the previous one: written aside, then renamed. The
	 * directory is root's and 0700, so the temporary name is ours. */
	unlinkat(dfd, "network.tmp", 0);
	int fd = openat(dfd, "network.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	                0600);
	int rc = fd < 0 ? -errno : 0;
	const char *p = data;
	for (size_t done = 0; rc == 0 && done < len;) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && renameat(dfd, "network.tmp", dfd, "network") < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dfd, "network.tmp", 0);
	close(dfd);
	return rc < 0 ? drover_err_set(err, rc, "cannot write the network record \"%s/run/%s/%s/"
	                               "network\": %s", nomad_data_dir(), alloc_id,
	                               NOMAD_NETWORK_RECORD_DIR, strerror(-rc))
	              : 0;
}

int nomad_network_record_read(const char *alloc_id, void **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	int dfd = open_record_dir(alloc_id);
	if (dfd < 0)
		return dfd;
	int fd = openat(dfd, "network", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int rc = fd < 0 ? -errno : 0;
	close(dfd);
	struct stat st;
	if (rc == 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	                st.st_size > NOMAD_NETWORK_RECORD_MAX))
		rc = -EINVAL;
	char *buf = rc == 0 ? malloc((size_t)st.st_size + 1) : NULL;
	if (rc == 0 && !buf)
		rc = -ENOMEM;
	size_t got = 0;
	while (rc == 0 && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			got += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = got;
	return 0;
}

void nomad_network_record_remove(const char *alloc_id)
{
	int dfd = open_record_dir(alloc_id);
	if (dfd >= 0) {
		unlinkat(dfd, "network", 0);
		unlinkat(dfd, "network.tmp", 0);
		close(dfd);
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/run/%s", nomad_data_dir(), alloc_id);
	int afd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (afd >= 0) {
		unlinkat(afd, NOMAD_NETWORK_RECORD_DIR, AT_REMOVEDIR);
		close(afd);
	}
	snprintf(path, sizeof(path), "%s/run", nomad_data_dir());
	int rfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd >= 0) {
		unlinkat(rfd, alloc_id, AT_REMOVEDIR); /* fails while tasks of it live */
		close(rfd);
	}
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

/* See plugin_state_file.h. */
#include "plugin_state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int plugin_state_file_write(const drover_task_config *cfg, const char *name, const char *text,
                            const char *why, char **path_out, drover_err *err)
{
	const char *dir = cfg && cfg->struct_size >= offsetof(drover_task_config, state_dir) +
	                                                     sizeof(cfg->state_dir)
	                          ? cfg->state_dir
	                          : NULL;
	char tmp[256], *path;
	struct stat st;
	int dfd, fd, e;

	if (!dir || dir[0] != '/')
		return drover_err_set(err, -EINVAL,
		                      "%s needs the task's state directory, which the host did not "
		                      "give",
		                      why);
	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp) || strchr(name, '/'))
		return drover_err_set(err, -EINVAL, "\"%.64s\" is no name for a state file", name);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return drover_err_set(err, -errno, "cannot open the state directory \"%s\": %s", dir,
		                      strerror(errno));
	if (fstat(dfd, &st) < 0) {
		e = errno;
		close(dfd);
		return drover_err_set(err, -e, "cannot stat the state directory \"%s\": %s", dir,
		                      strerror(e));
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(dfd);
		return drover_err_set(err, -EPERM,
		                      "the state directory \"%s\" is not this process's own (owner "
		                      "%u, mode %04o): %s is written only where no one else can "
		                      "write",
		                      dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), name);
	}
	/* A temporary name left by a write that died half way. */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT) {
		e = errno;
		goto fail;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	errno = 0;
	if (fchmod(fd, 0644) < 0 || write_all(fd, text, strlen(text)) < 0) {
		e = errno ? errno : EIO;
		close(fd);
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	if (close(fd) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
		e = errno;
		unlinkat(dfd, tmp, 0);
		goto fail;
	}
	close(dfd);
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return drover_err_set(err, -ENOMEM, "out of memory");
	*path_out = path;
	return 0;
fail:
	close(dfd);
	return drover_err_set(err, -e, "cannot write %s in the state directory \"%s\": %s", name,
	                      dir, strerror(e));
}

#include "config.h"

#include "agent_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int drover_agent_lock(const char *data_dir, int *fd_out, drover_err *err)
{
	int rc = drover_data_dir_prepare(data_dir);
	if (rc < 0)
		return drover_err_set(err, rc, "cannot create the data dir \"%s\": %s", data_dir,
		                      strerror(-rc));
	_cleanup_(drover_freep) char *path = drover_strdup_printf("%s/%s", data_dir,
	                                                         DROVER_AGENT_LOCK_FILE);
	if (!path)
		return drover_err_set(err, -ENOMEM, "out of memory");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open the lock file \"%s\": %s", path,
		                      strerror(errno));
	fchmod(fd, 0600); /* one left 0644 by an older drover */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		rc = -errno;
		if (rc == -EWOULDBLOCK) {
			char buf[32] = "";
			ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
			int pid = n > 0 ? atoi(buf) : 0;
			close(fd);
			if (pid > 0)
				return drover_err_set(err, -EBUSY,
				                      "data dir \"%s\" is in use by another drover agent (pid %d "
				                      "holds \"%s\"); stop it first, or give this one another "
				                      "-data-dir",
				                      data_dir, pid, path);
			return drover_err_set(err, -EBUSY,
			                      "data dir \"%s\" is in use by another drover agent (it holds "
			                      "\"%s\"); stop it first, or give this one another -data-dir",
			                      data_dir, path);
		}
		close(fd);
		return drover_err_set(err, rc, "cannot lock \"%s\": %s", path, strerror(-rc));
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		rc = -errno;
		close(fd);
		return drover_err_set(err, rc, "cannot write the agent's pid to \"%s\": %s", path,
		                      strerror(-rc));
	}
	*fd_out = fd;
	return 0;
}

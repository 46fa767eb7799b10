/* Task output to a FIFO read by someone else; see shim_fifo.h. */
#include "shim_fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long fifo_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One non-blocking open: the fd, -ENXIO when nobody reads, or another
 * negative errno (-ELOOP for a link, -EINVAL for anything but a FIFO). The
 * fd stays non-blocking so that a write can be bounded in time. */
static int fifo_open_once(const char *path)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int dir_fd, fd;

	/* Its directory (alloc/logs, writable by the task like the FIFO's name)
	 * is not followed through a link either. */
	if (!slash || (size_t)(slash - path) >= sizeof(dir) || !slash[1])
		return -EINVAL;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	dir_fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	fd = openat(dir_fd, slash + 1, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		fd = -errno;
	close(dir_fd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISFIFO(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int shim_fifo_open(shim_fifo *f, const char *path, char *msg, size_t msg_len)
{
	long long deadline = fifo_mono_ms() + SHIM_FIFO_OPEN_WAIT_MS;
	int fd;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = -1;
	for (;;) {
		fd = fifo_open_once(path);
		if (fd >= 0 || fd != -ENXIO || fifo_mono_ms() >= deadline)
			break;
		/* Nobody has it open for reading yet: Nomad opens its reader before
		 * StartTask, so this is short; poll cannot wait for a reader. */
		struct timespec nap = { 0, 20 * 1000000L };
		nanosleep(&nap, NULL);
	}
	if (fd >= 0) {
		f->fd = fd;
		return 0;
	}
	if (fd == -ENXIO) {
		dprintf(2, "drover-shim: nobody reads the FIFO \"%s\" yet; output is dropped until "
		        "someone does\n", path);
		return 0;
	}
	if (fd == -ELOOP)
		snprintf(msg, msg_len, "cannot open the output FIFO \"%s\": it is a symbolic link",
		         path);
	else if (fd == -EINVAL)
		snprintf(msg, msg_len, "cannot open the output FIFO \"%s\": it is not a FIFO", path);
	else
		snprintf(msg, msg_len, "cannot open the output FIFO \"%s\": %s", path,
		         strerror(-fd));
	return fd;
}

static void fifo_drop(shim_fifo *f, const char *why)
{
	if (!f->error_noted) {
		f->error_noted = 1;
		/* stderr of the shim is /dev/null under the host; useful when run by hand. */
		dprintf(2, "drover-shim: writing the FIFO \"%s\" failed: %s; output is dropped\n",
		        f->path, why);
	}
}

/* The FIFO again after its reader went away, or once one appeared. A path
 * that is no longer a FIFO (replaced by the task) is not written. */
static int fifo_reopen(shim_fifo *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fifo_open_once(f->path);
	return f->fd;
}

void shim_fifo_write(shim_fifo *f, const char *buf, size_t len)
{
	int reopened = 0;

	if (f->fd < 0 && fifo_reopen(f) < 0) {
		fifo_drop(f, "nobody reads it");
		return;
	}
	while (len > 0) {
		ssize_t w = write(f->fd, buf, len);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			f->stalled = 0;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = f->fd, .events = POLLOUT };
			int r = poll(&p, 1, f->stalled ? 0 : SHIM_FIFO_STALL_MS);
			if (r > 0 && !(p.revents & POLLERR))
				continue;
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0) {
				f->stalled = 1;
				fifo_drop(f, "the reader does not read");
				return;
			}
			/* POLLERR: the reader closed; the write says EPIPE next. */
			w = write(f->fd, buf, len);
			if (w > 0)
				continue;
		}
		if (w < 0 && errno == EPIPE) {
			/* The reader went away; logmon restarts it: follow it to its new
			 * open, once per write. */
			if (!reopened) {
				reopened = 1;
				if (fifo_reopen(f) >= 0)
					continue;
			} else {
				close(f->fd);
				f->fd = -1;
			}
			fifo_drop(f, "nobody reads it");
			return;
		}
		fifo_drop(f, w < 0 ? strerror(errno) : "short write");
		return;
	}
}

void shim_fifo_close(shim_fifo *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

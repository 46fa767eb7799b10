/* Size-rotated log files; see shim_log.h. Plain write(2), no buffering of its
 * own: what the task wrote is on disk (in the page cache) as soon as it is read. */
#include "shim_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The last '\n' of buf[0..len), or NULL. The shim is linked against musl,
 * whose memrchr compares a byte at a time: over the 64 KiB chunks of a task
 * that writes long lines or none, that alone cost a third of the log
 * throughput (bench_logs: 0.66 GB/s against 1.05 GB/s with glibc's). This one
 * tests eight bytes per step. */
static const char *last_newline(const char *buf, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const uint64_t newlines = ones * (unsigned char)'\n';

	while (len > 0 && ((uintptr_t)(buf + len) & 7) != 0) {
		len--;
		if (buf[len] == '\n')
			return buf + len;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, buf + len - 8, sizeof(w));
		w ^= newlines; /* a zero byte where a newline was */
		if (((w - ones) & ~w & highs) != 0)
			break; /* one of these eight: found below */
		len -= 8;
	}
	while (len > 0) {
		len--;
		if (buf[len] == '\n')
			return buf + len;
	}
	return NULL;
}

/* The index of `entry` when it is "<prefix><digits>", else -1. */
static long log_index_of(const char *prefix, const char *entry)
{
	size_t plen = strlen(prefix);
	const char *p;
	char *end;
	unsigned long v;

	if (strncmp(entry, prefix, plen) != 0)
		return -1;
	p = entry + plen;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (*end != '\0' || errno != 0 || v > 0x7fffffffUL)
		return -1;
	return (long)v;
}

static void log_name(const shim_log *log, unsigned long index, char *buf, size_t len)
{
	snprintf(buf, len, "%s%lu", log->prefix, index);
}

/* The log directory is writable by tasks (a container gets alloc/ read-write,
 * logs/ included) and so is every name in it: a task may plant a symbolic
 * link, a FIFO or a hard link to a host file under the name of the next log
 * file at any moment. Only a regular file we created is ever written: a new
 * file is created with O_EXCL|O_NOFOLLOW (whatever holds the name is removed
 * first: unlinkat removes a link, never its target), and an existing one is
 * continued only when it is a regular file of ours with one link. */
#define LOG_CREATE_TRIES 8

static int log_is_ours(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	       st.st_nlink == 1;
}

static int log_create(int dir_fd, const char *name)
{
	int i, fd = -1;

	for (i = 0; i < LOG_CREATE_TRIES; i++) {
		if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT) {
			/* A directory planted under the name: leave it, refuse the name. */
			return errno == EISDIR ? -EEXIST : -errno;
		}
		/* Read-write, not O_APPEND: moving a line's start to the next file
		 * reads it back, and copy_file_range refuses an O_APPEND destination.
		 * The shim is the only writer, so the file position stays at the end. */
		fd = openat(dir_fd, name,
		            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
		            0644);
		if (fd >= 0 || errno != EEXIST)
			break; /* EEXIST: something was planted again in between */
	}
	if (fd < 0)
		return -errno;
	fcntl(fd, F_SETFL, 0);
	return fd;
}

/* The existing file `name` when it is a regular file of ours, else a new one. */
static int log_continue(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0 && log_is_ours(fd)) {
		fcntl(fd, F_SETFL, 0);
		return fd;
	}
	if (fd >= 0)
		close(fd);
	return log_create(dir_fd, name);
}

/* Opens `name` as the file of `index`: a fresh file with `truncate`, else the
 * existing one continued. */
static int log_open_named(shim_log *log, const char *name, unsigned long index, int truncate)
{
	struct stat st;
	int fd;

	fd = truncate ? log_create(log->dir_fd, name) : log_continue(log->dir_fd, name);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_END) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	log->fd = fd;
	log->index = index;
	log->size = (unsigned long long)st.st_size;
	/* An existing file is assumed to end at a line boundary: we cannot know
	 * better, and moving its tail would rewrite output of an earlier run. */
	log->line_start = log->size;
	return 0;
}

static int log_open_index(shim_log *log, unsigned long index, int truncate)
{
	char name[300];

	log_name(log, index, name, sizeof(name));
	return log_open_named(log, name, index, truncate);
}

/* Deletes every file of the stream whose index is at most `upto`. */
static void log_purge_upto(shim_log *log, long upto)
{
	DIR *d;
	struct dirent *de;
	int fd;

	if (upto < 0)
		return;
	fd = dup(log->dir_fd);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		long idx = log_index_of(log->prefix, de->d_name);
		if (idx >= 0 && idx <= upto)
			unlinkat(log->dir_fd, de->d_name, 0);
	}
	closedir(d);
}

int shim_log_open(shim_log *log, const char *dir, const char *name, const char *stream,
                  unsigned max_files, unsigned long long max_size, char *msg, size_t msg_len)
{
	DIR *d;
	struct dirent *de;
	long newest = -1;
	int r, n;

	memset(log, 0, sizeof(*log));
	log->fd = -1;
	log->dir_fd = -1;
	log->max_files = max_files;
	log->max_size = max_size;
	n = snprintf(log->prefix, sizeof(log->prefix), "%s.%s.", name, stream);
	if (n < 0 || (size_t)n >= sizeof(log->prefix)) {
		snprintf(msg, msg_len, "log name \"%s\" is too long", name);
		return -ENAMETOOLONG;
	}
	/* The last component may have been replaced by the task (alloc/ is
	 * writable by it): never through a link. */
	log->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (log->dir_fd < 0) {
		r = errno == ELOOP ? -ENOTDIR : -errno;
		snprintf(msg, msg_len, "cannot open log directory \"%s\": %s", dir,
		         r == -ENOTDIR ? "it is a symbolic link or not a directory" : strerror(-r));
		return r;
	}
	r = dup(log->dir_fd);
	d = r >= 0 ? fdopendir(r) : NULL;
	if (!d) {
		r = -errno;
		snprintf(msg, msg_len, "cannot list log directory \"%s\": %s", dir, strerror(-r));
		shim_log_close(log);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		long idx = log_index_of(log->prefix, de->d_name);
		if (idx > newest)
			newest = idx;
	}
	closedir(d);

	r = log_open_index(log, newest < 0 ? 0 : (unsigned long)newest, 0);
	if (r < 0) {
		char file[300];
		log_name(log, newest < 0 ? 0 : (unsigned long)newest, file, sizeof(file));
		snprintf(msg, msg_len, "cannot open log file \"%s/%s\": %s", dir, file, strerror(-r));
		shim_log_close(log);
		return r;
	}
	/* Fewer files may be allowed than an earlier run left behind. */
	log_purge_upto(log, (long)log->index - (long)max_files);
	return 0;
}

static void log_note_error(shim_log *log, int e)
{
	if (!log->write_error) {
		log->write_error = e;
		/* stderr of the shim is /dev/null under the host; useful when run by hand. */
		dprintf(2, "drover-shim: writing log file %s%lu failed: %s; output is dropped\n",
		        log->prefix, log->index, strerror(e));
	}
}

static void log_append(shim_log *log, const char *buf, size_t len)
{
	const char *nl;

	if (len == 0)
		return;
	nl = last_newline(buf, len);
	if (nl)
		log->line_start = log->size + (unsigned long long)(nl - buf) + 1;
	/* The size moves on even when the write fails so that rotation, and with
	 * it the bound on disk use, still happens. */
	log->size += len;
	while (len > 0 && log->fd >= 0) {
		ssize_t w = write(log->fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			log_note_error(log, errno);
			return;
		}
		buf += w;
		len -= (size_t)w;
	}
}

/* Copies the current file's unfinished last line into the next file and cuts
 * it off the current one, so the line ends up whole in one file. */
static void log_move_tail(shim_log *log, int old_fd, unsigned long long from,
                          unsigned long long to)
{
	char chunk[4096];
	loff_t off = (loff_t)from;

	while ((unsigned long long)off < to) {
		size_t want = (size_t)(to - (unsigned long long)off);
		ssize_t n = copy_file_range(old_fd, &off, log->fd, NULL, want, 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		/* copy_file_range is refused between some file systems: copy by hand. */
		n = pread(old_fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk), off);
		if (n <= 0)
			break;
		if (write(log->fd, chunk, (size_t)n) != n)
			break;
		off += n;
	}
	if (ftruncate(old_fd, (off_t)from) < 0)
		log_note_error(log, errno);
	log->size = to - from;
	log->line_start = 0;
}

/* Starts file index+1, deleting the file that falls out of the window first so
 * the disk use never passes max_files * max_size. With `tail_from` below the
 * current size, the unfinished line from there on moves to the new file. */
static void log_rotate(shim_log *log, unsigned long long tail_from)
{
	int old_fd = log->fd;
	unsigned long long old_size = log->size;
	unsigned long next = log->index + 1;
	long drop = (long)next - (long)log->max_files;
	char name[300];
	int r;

	if (drop >= 0) {
		log_name(log, (unsigned long)drop, name, sizeof(name));
		unlinkat(log->dir_fd, name, 0);
	}
	if (tail_from < old_size && old_fd >= 0) {
		/* The next file appears under its name only once the current one is
		 * final (its unfinished line moved and cut off): a reader following
		 * the stream (`drover logs -f`) that sees file N+1 can finish file N
		 * without printing a line twice. */
		char moving[320];
		snprintf(moving, sizeof(moving), ".%s%lu.moving", log->prefix, next);
		log_name(log, next, name, sizeof(name));
		r = log_open_named(log, moving, next, 1);
		if (r == 0) {
			log_move_tail(log, old_fd, tail_from, old_size);
			if (renameat(log->dir_fd, moving, log->dir_fd, name) < 0)
				log_note_error(log, errno);
		}
	} else {
		r = log_open_index(log, next, 1);
	}
	if (r < 0) {
		log_note_error(log, -r);
		/* Keep counting as if the file existed: the data is dropped, not the bound. */
		log->fd = -1;
		log->index = next;
		log->size = 0;
		log->line_start = 0;
	}
	if (old_fd >= 0)
		close(old_fd);
}

int shim_log_open_fifo(shim_log *log, const char *path, char *msg, size_t msg_len)
{
	memset(log, 0, sizeof(*log));
	log->fd = -1;
	log->dir_fd = -1;
	log->use_fifo = 1;
	return shim_fifo_open(&log->fifo, path, msg, msg_len);
}

void shim_log_write(shim_log *log, const char *buf, size_t len)
{
	if (log->use_fifo) {
		shim_fifo_write(&log->fifo, buf, len);
		return;
	}
	while (len > 0) {
		unsigned long long room = log->size < log->max_size ? log->max_size - log->size : 0;
		const char *nl;
		size_t first_len, n;
		unsigned long long partial;

		if (len <= room) {
			log_append(log, buf, len);
			return;
		}
		/* Too much for this file: end it after the last whole line that fits. */
		nl = room ? last_newline(buf, (size_t)room) : NULL;
		if (nl) {
			n = (size_t)(nl - buf) + 1;
			log_append(log, buf, n);
			buf += n;
			len -= n;
			log_rotate(log, log->size);
			continue;
		}
		/* Not even the end of the current line fits. When the whole line (its
		 * start already in the file plus its rest here) fits in a file, it
		 * moves to the next file whole; otherwise it is longer than a file and
		 * is split. */
		nl = memchr(buf, '\n', len);
		first_len = nl ? (size_t)(nl - buf) + 1 : len;
		partial = log->size - log->line_start;
		if (log->size > 0 && partial + first_len <= log->max_size) {
			log_rotate(log, log->line_start);
			continue;
		}
		n = (size_t)room;
		log_append(log, buf, n);
		buf += n;
		len -= n;
		log_rotate(log, log->size);
	}
}

void shim_log_close(shim_log *log)
{
	if (log->use_fifo)
		shim_fifo_close(&log->fifo);
	if (log->fd >= 0)
		close(log->fd);
	if (log->dir_fd >= 0)
		close(log->dir_fd);
	log->fd = -1;
	log->dir_fd = -1;
}

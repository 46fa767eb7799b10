/* Size-rotated log files for one output stream of a task, named as Nomad
 * names them: <dir>/<name>.<stream>.<index>, index counting up from 0.
 *
 * At most max_files files of at most max_size bytes each exist per stream, so
 * a stream never uses more than max_files * max_size bytes of disk. A line is
 * never split across two files when it fits in one.
 */
#ifndef DROVER_SHIM_LOG_H
#define DROVER_SHIM_LOG_H

#include <stddef.h>

#include "shim_fifo.h"

typedef struct shim_log {
	int dir_fd;                 /* the log directory: names are resolved against it */
	char prefix[256];           /* "<name>.<stream>." */
	unsigned max_files;
	unsigned long long max_size;
	unsigned long index;        /* the file being written */
	int fd;
	unsigned long long size;    /* bytes in the current file */
	unsigned long long line_start; /* offset just after the last newline written */
	int write_error;            /* errno of the first failed write, reported once */
	int use_fifo;               /* written to `fifo`, not to files (shim_log_open_fifo) */
	shim_fifo fifo;
} shim_log;

/* Opens the newest existing file of the stream (a restarted task continues the
 * series), or index 0. Returns 0 or a negative errno with `msg` filled. */
int shim_log_open(shim_log *log, const char *dir, const char *name, const char *stream,
                  unsigned max_files, unsigned long long max_size, char *msg, size_t msg_len);

/* The stream goes unchanged to the FIFO at `path` instead (no files, no
 * rotation: the reader keeps them); see shim_fifo.h. */
int shim_log_open_fifo(shim_log *log, const char *path, char *msg, size_t msg_len);
/* Appends `len` bytes, rotating as needed. Output that cannot be written (disk
 * full) is dropped so that the task is never blocked on its pipe. */
void shim_log_write(shim_log *log, const char *buf, size_t len);

void shim_log_close(shim_log *log);

#endif

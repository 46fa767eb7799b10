/* A task's output stream written to a FIFO that someone else reads (Nomad's
 * log collector, logmon, under drover-nomad-driver) instead of to drover's
 * rotated files (shim_log). Selected by --stdout-fifo/--stderr-fifo.
 *
 * The path is in the task's directory, which the task can write: it is
 * opened O_WRONLY|O_NOFOLLOW relative to its directory, itself opened
 * O_NOFOLLOW (a planted link is refused), and anything but a FIFO is refused
 * after fstat. The open is non-blocking: when nobody reads
 * yet, it is retried for SHIM_FIFO_OPEN_WAIT_MS, then the task starts anyway
 * and each later write tries the open again (output is dropped while nobody
 * reads). A reader that goes away (EPIPE) is followed by a reopen, as Nomad's
 * logmon restarts. A reader that stops reading holds a write for at most
 * SHIM_FIFO_STALL_MS once; after that output is dropped without waiting
 * until the FIFO takes data again: the task is never blocked for good on its
 * output.
 */
#ifndef DROVER_SHIM_FIFO_H
#define DROVER_SHIM_FIFO_H

#include <stddef.h>

#define SHIM_FIFO_OPEN_WAIT_MS 2000
#define SHIM_FIFO_STALL_MS 5000

typedef struct shim_fifo {
	const char *path;
	int fd;          /* -1 while nobody reads */
	int stalled;     /* the last write timed out: do not wait again until one succeeds */
	int error_noted; /* a drop was reported once on stderr */
} shim_fifo;

/* 0, or a negative errno with `msg` filled: a link (-ELOOP), not a FIFO
 * (-EINVAL), or another error of open. No reader is not an error. */
int shim_fifo_open(shim_fifo *f, const char *path, char *msg, size_t msg_len);
/* Writes all of `buf`, or drops what cannot be written (see above). */
void shim_fifo_write(shim_fifo *f, const char *buf, size_t len);
void shim_fifo_close(shim_fifo *f);

#endif

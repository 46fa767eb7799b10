/* The body of GET /containers/{id}/logs?timestamps=1, parsed as it arrives:
 * with tty=false a multiplexed stream of frames (an 8-byte header: stream 1
 * stdout / 2 stderr, three zero bytes, a big-endian 32-bit length; then the
 * payload), with tty=true the raw bytes of one stream. Every log entry starts
 * with its RFC 3339 timestamp and a space; the parser strips it. After a
 * reconnection with since=<newest> it drops the replayed entries not newer than
 * that, so the follower does not repeat lines. Within one stream nothing is
 * dropped: stdout and stderr entries arrive in the order the daemon wrote them,
 * which is not always the order of their timestamps. */
#ifndef DROVER_DOCKER_LOGSTREAM_H
#define DROVER_DOCKER_LOGSTREAM_H

#include <stddef.h>

/* A frame or tty line longer than this is handed out in pieces, each without
 * its own timestamp (Docker splits longer lines at 16 KiB anyway). */
#define DOCKER_LOGSTREAM_MAX_ENTRY (1024u * 1024u)

/* stream: 1 stdout, 2 stderr. Return <0 to abort with that code. */
typedef int (*docker_log_emit_fn)(void *ud, int stream, const char *data, size_t len);

typedef struct docker_logstream {
	int tty;
	int raw;              /* no timestamps (an exec's output): entries pass as they are */
	docker_log_emit_fn emit;
	void *ud;
	/* the entry being assembled */
	unsigned char header[8];
	size_t header_len;
	size_t want;          /* payload bytes still expected (multiplexed) */
	int stream;
	char *buf;
	size_t len, cap;
	/* the newest entry handed out */
	int have_last;
	long long last_sec;
	long last_nsec;
	/* replaying after a reconnection: drop entries not newer than cut_* */
	int replaying;
	long long cut_sec;
	long cut_nsec;
} docker_logstream;

void docker_logstream_init(docker_logstream *s, int tty, docker_log_emit_fn emit, void *ud);
/* A docker_chunk_fn: pass the docker_logstream as `ud`. */
int docker_logstream_feed(void *ud, const char *data, size_t len);
/* Hands out a last partial entry (a tty stream that ended without a newline)
 * and resets the assembly, keeping the last timestamp. */
int docker_logstream_flush(docker_logstream *s);
void docker_logstream_free(docker_logstream *s);

/* "since" for the next request: "<sec>.<nsec>" of the newest entry, or "0";
 * arms the replay filter for the stream that request brings. */
void docker_logstream_since(docker_logstream *s, char *buf, size_t len);

/* "2024-05-01T10:00:00.123456789Z" (or with a +hh:mm offset) into seconds
 * since the epoch and nanoseconds; -EINVAL when it is not one. */
int docker_logstream_parse_time(const char *s, size_t len, long long *sec, long *nsec);

#endif

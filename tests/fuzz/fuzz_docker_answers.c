/* libFuzzer target: the docker driver's readers of what the Engine API
 * answers. The first byte picks the reader, the rest is the answer:
 *   0  GET /containers/{id}/json (inspect)   docker_state_parse
 *   1  GET /version                          docker_version_parse
 *   2  GET /events, fed in uneven chunks     docker_lines_feed + docker_event_parse
 *   3  GET /containers/{id}/logs, multiplexed docker_logstream_feed
 *   4  the same with tty=true (raw lines)    docker_logstream_feed
 * Each reader gets the bytes as the daemon would send them. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "docker_http.h"
#include "docker_logstream.h"
#include "docker_monitor.h"
#include "docker_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event_line(void *ud, const char *line, size_t len)
{
	char id[DOCKER_EVENT_ID_MAX];
	long long t;
	size_t *seen = ud;
	if (docker_event_parse(line, len, id, sizeof(id), &t) == 0 && id[0])
		(*seen)++;
	return 0;
}

static int on_log(void *ud, int stream, const char *chunk, size_t len)
{
	size_t *total = ud;
	if (stream != 1 && stream != 2)
		__builtin_trap(); /* the parser promised stdout or stderr */
	if (len && !chunk)
		__builtin_trap();
	*total += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int which = data[0] % 5;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	drover_err err = {{0}};

	switch (which) {
	case 0: {
		docker_state st;
		docker_state_parse(body, len, &st, &err);
		break;
	}
	case 1: {
		int server, min;
		docker_version_parse(body, len, &server, &min, &err);
		break;
	}
	case 2: {
		size_t seen = 0;
		docker_lines lines = {0};
		lines.max_line = 1024 * 1024;
		lines.on_line = on_event_line;
		lines.ud = &seen;
		/* chunk boundaries the network might make: 1, 2, 3... bytes */
		size_t off = 0, step = 1;
		int r = 0;
		while (off < len && r == 0) {
			size_t n = step < len - off ? step : len - off;
			r = docker_lines_feed(&lines, body + off, n);
			off += n;
			step = step % 7 + 1;
		}
		docker_lines_finish(&lines);
		break;
	}
	default: {
		size_t total = 0;
		docker_logstream s;
		docker_logstream_init(&s, which == 4, on_log, &total);
		size_t off = 0, step = 3;
		int r = 0;
		while (off < len && r == 0) {
			size_t n = step < len - off ? step : len - off;
			r = docker_logstream_feed(&s, body + off, n);
			off += n;
			step = step * 2 % 61 + 1;
		}
		if (r == 0)
			docker_logstream_flush(&s);
		docker_logstream_free(&s);
		break;
	}
	}
	return 0;
}

/* The docker log stream parser (multiplexed and tty bodies of
 * GET /containers/{id}/logs?timestamps=1) and the docker task handle, both
 * without a daemon: byte-exact inputs, split at every offset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "docker_handle.h"
#include "docker_logstream.h"
#include "docker_network.h"

typedef struct sink {
	char out[4096], err[4096];
	size_t out_len, err_len;
} sink;

static int record(void *ud, int stream, const char *data, size_t len)
{
	sink *s = ud;
	char *dst = stream == 2 ? s->err : s->out;
	size_t *n = stream == 2 ? &s->err_len : &s->out_len;
	cr_assert_lt(*n + len, sizeof(s->out));
	memcpy(dst + *n, data, len);
	*n += len;
	dst[*n] = '\0';
	return 0;
}

/* One multiplexed frame. */
static size_t frame(char *buf, int stream, const char *payload)
{
	size_t n = strlen(payload);
	buf[0] = (char)stream;
	buf[1] = buf[2] = buf[3] = 0;
	buf[4] = (char)(n >> 24);
	buf[5] = (char)(n >> 16);
	buf[6] = (char)(n >> 8);
	buf[7] = (char)n;
	memcpy(buf + 8, payload, n);
	return n + 8;
}

static size_t mux_body(char *buf)
{
	size_t n = 0;
	n += frame(buf + n, 1, "2024-05-01T10:00:00.000000001Z out one\n");
	n += frame(buf + n, 2, "2024-05-01T10:00:00.000000002Z err one\n");
	n += frame(buf + n, 1, "2024-05-01T10:00:01.5Z out two\n");
	n += frame(buf + n, 1, "2024-05-01T10:00:02Z partial");
	return n;
}

Test(logstream, multiplexed_frames_split_at_every_offset)
{
	char body[512];
	size_t len = mux_body(body);

	for (size_t cut = 0; cut <= len; cut++) {
		docker_logstream ls;
		sink s;
		memset(&s, 0, sizeof(s));
		docker_logstream_init(&ls, 0, record, &s);
		cr_assert_eq(docker_logstream_feed(&ls, body, cut), 0);
		cr_assert_eq(docker_logstream_feed(&ls, body + cut, len - cut), 0);
		cr_assert_eq(docker_logstream_flush(&ls), 0);
		cr_assert_str_eq(s.out, "out one\nout two\npartial", "cut at %zu", cut);
		cr_assert_str_eq(s.err, "err one\n", "cut at %zu", cut);
		docker_logstream_free(&ls);
	}
}

Test(logstream, reconnection_repeats_nothing)
{
	char body[512], since[48];
	size_t len = mux_body(body);
	docker_logstream ls;
	sink s;

	memset(&s, 0, sizeof(s));
	docker_logstream_init(&ls, 0, record, &s);
	docker_logstream_since(&ls, since, sizeof(since));
	cr_assert_str_eq(since, "0");
	cr_assert_eq(docker_logstream_feed(&ls, body, len), 0);
	docker_logstream_flush(&ls);
	docker_logstream_since(&ls, since, sizeof(since));
	cr_assert_str_eq(since, "1714557602.000000000");
	/* The daemon answers since=<last> with the last entry again, then new ones. */
	len = 0;
	len += frame(body + len, 1, "2024-05-01T10:00:01.5Z out two\n");
	len += frame(body + len, 1, "2024-05-01T10:00:02Z partial");
	len += frame(body + len, 1, "2024-05-01T10:00:03Z out three\n");
	cr_assert_eq(docker_logstream_feed(&ls, body, len), 0);
	cr_assert_str_eq(s.out, "out one\nout two\npartialout three\n");
	docker_logstream_free(&ls);
}

Test(logstream, out_of_order_timestamps_within_a_stream_are_kept)
{
	char body[512];
	size_t len = 0;
	docker_logstream ls;
	sink s;

	/* stderr's entry was written after stdout's newer one: both are kept. */
	len += frame(body + len, 1, "2024-05-01T10:00:00.000000009Z out\n");
	len += frame(body + len, 2, "2024-05-01T10:00:00.000000005Z err\n");
	memset(&s, 0, sizeof(s));
	docker_logstream_init(&ls, 0, record, &s);
	cr_assert_eq(docker_logstream_feed(&ls, body, len), 0);
	cr_assert_str_eq(s.out, "out\n");
	cr_assert_str_eq(s.err, "err\n");
	docker_logstream_free(&ls);
}

Test(logstream, tty_lines)
{
	const char *body = "2024-05-01T10:00:00Z one\r\n2024-05-01T10:00:01Z two\r\n"
	                   "2024-05-01T10:00:02Z three";
	size_t len = strlen(body);

	for (size_t cut = 0; cut <= len; cut++) {
		docker_logstream ls;
		sink s;
		memset(&s, 0, sizeof(s));
		docker_logstream_init(&ls, 1, record, &s);
		cr_assert_eq(docker_logstream_feed(&ls, body, cut), 0);
		cr_assert_eq(docker_logstream_feed(&ls, body + cut, len - cut), 0);
		cr_assert_eq(docker_logstream_flush(&ls), 0);
		cr_assert_str_eq(s.out, "one\r\ntwo\r\nthree", "cut at %zu", cut);
		cr_assert_eq(s.err_len, 0);
		docker_logstream_free(&ls);
	}
}

Test(logstream, a_bad_frame_header_is_a_protocol_error)
{
	docker_logstream ls;
	sink s;
	const char bad[] = { 7, 0, 0, 0, 0, 0, 0, 1, 'x' };

	memset(&s, 0, sizeof(s));
	docker_logstream_init(&ls, 0, record, &s);
	cr_assert_eq(docker_logstream_feed(&ls, bad, sizeof(bad)), -EPROTO);
	docker_logstream_free(&ls);
}

Test(logstream, timestamps)
{
	long long sec;
	long nsec;
	const char *t = "2024-05-01T10:00:00.123456789Z";

	cr_assert_eq(docker_logstream_parse_time(t, strlen(t), &sec, &nsec), 0);
	cr_assert_eq(sec, 1714557600);
	cr_assert_eq(nsec, 123456789);
	t = "2024-05-01T12:00:00.5+02:00";
	cr_assert_eq(docker_logstream_parse_time(t, strlen(t), &sec, &nsec), 0);
	cr_assert_eq(sec, 1714557600);
	cr_assert_eq(nsec, 500000000);
	t = "2024-05-01 10:00:00Z";
	cr_assert_eq(docker_logstream_parse_time(t, strlen(t), &sec, &nsec), -EINVAL);
	t = "2024-13-01T10:00:00Z";
	cr_assert_eq(docker_logstream_parse_time(t, strlen(t), &sec, &nsec), -EINVAL);
	t = "2024-05-01T10:00:00.Z";
	cr_assert_eq(docker_logstream_parse_time(t, strlen(t), &sec, &nsec), -EINVAL);
}

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

Test(handle, version_two_round_trip_and_version_one_still_read)
{
	docker_handle_data h, back;
	drover_err err = { "" };
	void *data;
	size_t len;
	const char v1[] = "drover-docker 1\n" ID "\n1234\n";

	memset(&h, 0, sizeof(h));
	memcpy(h.container_id, ID, sizeof(ID));
	h.started_at_ms = 99;
	h.has_logger = 1;
	h.logger.struct_size = sizeof(h.logger);
	h.logger.pid = 10;
	h.logger.shim_pid = 9;
	h.logger.pid_start_time = 77;
	h.logger.shim_start_time = 76;
	h.logger.started_at_ms = 98;
	snprintf(h.logger.state_dir, sizeof(h.logger.state_dir), "/tmp/a dir\nwith newline");
	cr_assert_eq(docker_handle_encode(&h, &data, &len), 0);
	cr_assert_eq(docker_handle_decode(data, len, &back, &err), 0, "%s", err.message);
	cr_assert_str_eq(back.container_id, ID);
	cr_assert_eq(back.started_at_ms, 99);
	cr_assert_eq(back.has_logger, 1);
	cr_assert_eq(back.logger.pid, 10);
	cr_assert_eq(back.logger.shim_pid, 9);
	cr_assert_eq(back.logger.pid_start_time, 77);
	cr_assert_eq(back.logger.shim_start_time, 76);
	cr_assert_str_eq(back.logger.state_dir, "/tmp/a dir\nwith newline");
	/* Every truncation is refused, never misread. */
	for (size_t n = 0; n < len; n++)
		cr_assert_lt(docker_handle_decode(data, n, &back, &err), 0, "length %zu read", n);
	free(data);

	h.has_logger = 0;
	cr_assert_eq(docker_handle_encode(&h, &data, &len), 0);
	cr_assert_eq(docker_handle_decode(data, len, &back, &err), 0, "%s", err.message);
	cr_assert_eq(back.has_logger, 0);
	free(data);

	cr_assert_eq(docker_handle_decode(v1, sizeof(v1) - 1, &back, &err), 0, "%s", err.message);
	cr_assert_str_eq(back.container_id, ID);
	cr_assert_eq(back.started_at_ms, 1234);
	cr_assert_eq(back.has_logger, 0);
	cr_assert_eq(docker_handle_decode("drover-docker 3\n" ID "\n1\n", 83, &back, &err),
	             -ENOTSUP);
	cr_assert(strstr(err.message, "version 3"), "%s", err.message);
}

Test(network_handle, round_trip_and_nothing_else_read)
{
	char id[DOCKER_ID_MAX + 1];
	drover_err err = { "" };
	void *data;
	size_t len;

	cr_assert_eq(docker_network_handle_encode(ID, &data, &len), 0);
	cr_assert_eq(docker_network_handle_decode(data, len, id, &err), 0, "%s", err.message);
	cr_assert_str_eq(id, ID);
	/* Every truncation is refused, never misread. */
	for (size_t n = 0; n < len; n++)
		cr_assert_lt(docker_network_handle_decode(data, n, id, &err), 0, "length %zu read", n);
	free(data);
	/* A task's handle, another version, a damaged id. */
	cr_assert_lt(docker_network_handle_decode("drover-docker 2\n" ID "\n1\nnologger\n", 92,
	                                          id, &err), 0);
	cr_assert_eq(docker_network_handle_decode("drover-docker-net 2\n" ID "\n", 85, id, &err),
	             -ENOTSUP);
	cr_assert(strstr(err.message, "version 2"), "%s", err.message);
	cr_assert_lt(docker_network_handle_decode("drover-docker-net 1\n" ID "\0\n", 86, id, &err),
	             0);
	cr_assert_lt(docker_network_handle_decode("drover-docker-net 1\nABCDEF\n", 27, id, &err),
	             0);
	cr_assert_lt(docker_network_handle_decode(NULL, 0, id, &err), 0);
}

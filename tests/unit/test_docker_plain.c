/* The docker driver's plain GET (plugins/docker/docker_plain.c) against a real
 * unix socket served by a thread of this test with answers a daemon could
 * give: sized, chunked, cut short, too large, not HTTP, or none at all. The
 * real dockerd's answers are covered by tests/integration/test_docker.c. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "docker_plain.h"

typedef struct server {
	char path[108];
	int fd;
	const char *answer; /* written after the request's headers; NULL: none */
	int hold;           /* keep the connection open without answering */
	char request[1024];
	pthread_t thread;
	int release[2];     /* a byte here ends a held connection */
} server;

static void *serve(void *data)
{
	server *s = data;
	int c = accept(s->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	size_t got = 0;
	while (got < sizeof(s->request) - 1 && !strstr(s->request, "\r\n\r\n")) {
		ssize_t n = read(c, s->request + got, sizeof(s->request) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		s->request[got] = '\0';
	}
	if (s->answer && send(c, s->answer, strlen(s->answer), MSG_NOSIGNAL) < 0) {
		/* the client's error says it */
	}
	if (s->hold) {
		char b;
		if (read(s->release[0], &b, 1) < 0) {
			/* released or not, the connection goes */
		}
	}
	close(c);
	return NULL;
}

static void server_start(server *s, const char *answer, int hold)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "/tmp/drover-plain-%d-%p.sock", (int)getpid(), (void *)s);
	unlink(s->path);
	s->answer = answer;
	s->hold = hold;
	cr_assert_eq(pipe(s->release), 0);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s->fd, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	cr_assert_eq(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(s->fd, 4), 0);
	cr_assert_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
	if (write(s->release[1], "x", 1) < 0) {
		/* the thread may be gone already */
	}
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
	close(s->release[0]);
	close(s->release[1]);
	unlink(s->path);
}

Test(docker_plain, a_sized_answer_is_read_and_the_request_is_a_plain_get)
{
	server s;
	server_start(&s, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
	                 "Content-Length: 15\r\n\r\n{\"Version\":\"1\"}", 0);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/v1.44/version", 5000, 1024, NULL, &a), 0, "%s", a.why);
	server_stop(&s);
	cr_assert_eq(a.status, 200);
	cr_assert_eq(a.len, 15);
	cr_assert_str_eq(a.body, "{\"Version\":\"1\"}");
	cr_assert(strncmp(s.request, "GET /v1.44/version HTTP/1.0\r\n", 29) == 0, "%s", s.request);
	free(a.body);
}

Test(docker_plain, a_chunked_answer_is_decoded)
{
	server s;
	server_start(&s, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
	                 "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n", 0);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/info", 5000, 1024, NULL, &a), 0, "%s", a.why);
	server_stop(&s);
	cr_assert_eq(a.len, 7);
	cr_assert_str_eq(a.body, "{\"a\":1}");
	free(a.body);
}

Test(docker_plain, an_answer_that_ends_with_the_connection_needs_no_length)
{
	server s;
	server_start(&s, "HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"no such container\"}", 0);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/containers/x/json", 5000, 1024, NULL, &a), 0);
	server_stop(&s);
	cr_assert_eq(a.status, 404);
	cr_assert_str_eq(a.body, "{\"message\":\"no such container\"}");
	free(a.body);
}

Test(docker_plain, an_answer_cut_short_is_an_error)
{
	server s;
	server_start(&s, "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n{\"short\"", 0);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/info", 5000, 1024, NULL, &a), -EIO);
	server_stop(&s);
	cr_assert(strstr(a.why, "cut short"), "%s", a.why);
	cr_assert_null(a.body);
}

Test(docker_plain, a_malformed_chunked_answer_is_an_error)
{
	server s;
	server_start(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n", 0);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/info", 5000, 1024, NULL, &a), -EIO);
	server_stop(&s);
	cr_assert(strstr(a.why, "chunked"), "%s", a.why);
}

Test(docker_plain, an_answer_over_the_cap_is_refused_not_buffered)
{
	static char big[70000];
	memcpy(big, "HTTP/1.0 200 OK\r\n\r\n", 19);
	memset(big + 19, 'x', sizeof(big) - 20);
	server s;
	server_start(&s, big, 0);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/info", 5000, 100, NULL, &a), 0);
	server_stop(&s);
	cr_assert(a.overflow, "a body over the cap was not flagged");
	cr_assert_null(a.body);
}

Test(docker_plain, not_http_is_an_error)
{
	server s;
	server_start(&s, "SSH-2.0-OpenSSH\r\n\r\n", 0);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/info", 5000, 1024, NULL, &a), -EIO);
	server_stop(&s);
	cr_assert(strstr(a.why, "not HTTP"), "%s", a.why);
}

Test(docker_plain, a_daemon_that_does_not_answer_times_out)
{
	server s;
	server_start(&s, NULL, 1);
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/info", 200, 1024, NULL, &a), -ETIMEDOUT);
	server_stop(&s);
	cr_assert(strstr(a.why, "timed out"), "%s", a.why);
}

Test(docker_plain, a_cancelled_call_ends_without_its_answer)
{
	server s;
	server_start(&s, NULL, 1);
	static volatile int cancel = 1;
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get(s.path, "/info", -1, 1024, &cancel, &a), -ECANCELED);
	server_stop(&s);
}

Test(docker_plain, no_socket_is_enoent_and_says_where)
{
	docker_plain_answer a;
	cr_assert_eq(docker_plain_get("/nonexistent/docker.sock", "/_ping", 1000, 1024, NULL, &a),
	             -ENOENT);
	cr_assert(strstr(a.why, "/nonexistent/docker.sock"), "%s", a.why);
}

/* A plain HTTP GET over the daemon's unix socket, without libcurl
 * (docker_plain.c).
 *
 * The fingerprint (GET /version, /info, /networks/bridge) and the inspects
 * the agent makes while tasks run are simple GETs of small JSON answers on a
 * unix socket. Doing them with a few syscalls keeps libcurl, and the TLS,
 * SSH, LDAP and Kerberos libraries it drags in, out of every process that
 * only fingerprints docker: docker_curl.c loads it for everything else
 * (POST, DELETE, streams, uploads, TCP and TLS endpoints). */
#ifndef DROVER_DOCKER_PLAIN_H
#define DROVER_DOCKER_PLAIN_H

#include <stddef.h>

typedef struct docker_plain_answer {
	long status;       /* HTTP status; 0 when no answer came */
	char *body;        /* NUL-terminated, malloc'd; NULL when there is none */
	size_t len;
	int overflow;      /* the body was larger than the cap (and was dropped) */
	char why[256];     /* the transport error, when the call returns <0 */
} docker_plain_answer;

/* GET `target` ("/v1.44/info") from the daemon listening on `socket_path`,
 * as HTTP/1.0 so that the answer is not chunked and ends when the daemon
 * closes (chunked answers are decoded anyway). timeout_ms < 0: none. The body
 * is capped at `max` bytes. `cancel` (may be NULL) non-zero aborts, checked
 * at least once a second. Returns 0 when an answer came (whatever its
 * status), -ENOENT (no socket), -ECONNREFUSED, -ETIMEDOUT, -ECANCELED, -ENOMEM
 * or -EIO (not HTTP, truncated) with `why` saying what happened. */
int docker_plain_get(const char *socket_path, const char *target, long long timeout_ms, size_t max,
                     const volatile int *cancel, docker_plain_answer *out);

#endif

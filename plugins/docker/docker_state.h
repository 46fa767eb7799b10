/* A container's state as the daemon reports it (GET /containers/{id}/json),
 * in the SDK's terms, and the container's removal. */
#ifndef DROVER_DOCKER_STATE_H
#define DROVER_DOCKER_STATE_H

#include <drover/driver.h>

#include "docker_http.h"

typedef struct docker_state {
	int running;          /* running, paused or restarting */
	int exists;           /* 0: the container is gone (404) */
	int pid;
	int exit_code;
	int oom_killed;
	long long started_at_ms;
	long long finished_at_ms;
	char status[32];      /* "created", "running", "exited", ... */
	char error[200];      /* State.Error */
	char image[80];       /* the image's id, "sha256:<64 hex>" */
} docker_state;

int docker_state_read(docker_client *c, const char *container_id, docker_state *out,
                      drover_err *err);
/* The body of that answer into *out (exists = 1); <0 when it is not JSON. */
int docker_state_parse(const char *body, size_t len, docker_state *out, drover_err *err);

/* DELETE /containers/<id or name>?force=1&v=1: the container and its
 * anonymous volumes, stopped first if it runs. 0 when it is gone already. */
int docker_container_remove(docker_client *c, const char *ref, drover_err *err);

/* RFC 3339 with optional fraction ("2024-05-01T10:00:00.123456789Z") to ms since
 * the epoch; 0 for Go's zero time or anything unreadable. */
long long docker_parse_time_ms(const char *s);

#endif

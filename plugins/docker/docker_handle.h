/* The driver state a docker task leaves with the host: the container id (the
 * daemon owns the container, so that is all recovery needs) and when it
 * started. Text, versioned by its first line: "drover-docker <version>". */
#ifndef DROVER_DOCKER_HANDLE_H
#define DROVER_DOCKER_HANDLE_H

#include <stddef.h>

#include <drover/driver.h>

#define DOCKER_HANDLE_VERSION 1
#define DOCKER_ID_MAX 64

typedef struct docker_handle_data {
	char container_id[DOCKER_ID_MAX + 1]; /* 64 lower-case hex digits */
	long long started_at_ms;
} docker_handle_data;

/* malloc'd blob in *data. */
int docker_handle_encode(const docker_handle_data *h, void **data, size_t *len);
/* Refuses anything but a well-formed handle of a known version. */
int docker_handle_decode(const void *data, size_t len, docker_handle_data *h, drover_err *err);

#endif

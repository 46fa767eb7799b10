/* The driver state a docker task leaves with the host: the container id (the
 * daemon owns the container, so that is all recovery needs), when it started
 * and, since version 2, the drover-docker-logger collecting its logs.
 * Text, versioned by its first line: "drover-docker <version>".
 *
 *   version 1: "drover-docker 1\n<id>\n<started_ms>\n"
 *   version 2: "drover-docker 2\n<id>\n<started_ms>\n" then either "nologger\n" or
 *              "logger <pid> <shim_pid> <pid_start> <shim_start> <started_ms> <dirlen>\n"
 *              followed by the <dirlen> bytes of the shim's state_dir and "\n". */
#ifndef DROVER_DOCKER_HANDLE_H
#define DROVER_DOCKER_HANDLE_H

#include <stddef.h>

#include <drover/driver.h>

#define DOCKER_HANDLE_VERSION 2
#define DOCKER_ID_MAX 64

typedef struct docker_handle_data {
	char container_id[DOCKER_ID_MAX + 1]; /* 64 lower-case hex digits */
	long long started_at_ms;
	int has_logger;       /* 0 for a version-1 handle or without log collection */
	drover_proc logger;
} docker_handle_data;

/* malloc'd blob in *data. */
int docker_handle_encode(const docker_handle_data *h, void **data, size_t *len);
/* Reads versions 1 and 2; refuses anything but a well-formed handle. */
int docker_handle_decode(const void *data, size_t len, docker_handle_data *h, drover_err *err);

#endif

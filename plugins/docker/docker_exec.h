/* The exec method of the docker driver: a command run inside a running
 * container (POST /containers/{id}/exec, then /exec/{id}/start), its output
 * demultiplexed to the caller's descriptors, its exit code from
 * GET /exec/{id}/json, as `nomad alloc exec` / `docker exec` run one. */
#ifndef DROVER_DOCKER_EXEC_H
#define DROVER_DOCKER_EXEC_H

#define DOCKER_EXEC_ID_MAX 64

#include <drover/driver.h>

#include "docker_http.h"

/* 0 with *exit_code; -ETIMEDOUT when req->timeout_ms passed (the command is
 * then killed); -EINVAL for an empty argv; the daemon's message otherwise
 * ("no such file" for a missing command is exit code 126/127, as docker has it). */
int docker_exec_run(docker_client *c, const char *container_id, const drover_exec_request *req,
                    int *exit_code, drover_err *err);

#endif

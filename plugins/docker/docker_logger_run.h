/* Log collection for docker tasks: drover-docker-logger run under a
 * drover-shim through the host's proc_spawn service, so the container's output
 * lands in the same rotated alloc/logs/<task>.stdout.N / .stderr.N files as
 * every other driver's. */
#ifndef DROVER_DOCKER_LOGGER_RUN_H
#define DROVER_DOCKER_LOGGER_RUN_H

#include <drover/driver.h>

#include "docker_http.h"

/* $DROVER_DOCKER_LOGGER, else the installed $(pkglibexecdir)/drover-docker-logger. */
const char *docker_logger_path(void);

/* 1 when the host offers the proc_* services the logger needs. */
int docker_logger_available(const drover_host *host);

/* Starts the follower of `container_id` for the task `cfg`; `out` describes it. */
int docker_logger_spawn(const drover_host *host, const docker_client *client,
                        const drover_task_config *cfg, const char *container_id,
                        drover_proc *out, drover_err *err);

/* Waits up to timeout_ms for the follower to finish copying (it exits once the
 * container stopped); 0 when it has, -ETIMEDOUT when not. */
int docker_logger_drain(const drover_host *host, const drover_proc *proc, long long timeout_ms);

/* Ends the follower (SIGTERM, then SIGKILL after timeout_ms) if it still runs. */
int docker_logger_stop(const drover_host *host, const drover_proc *proc, long long timeout_ms,
                       drover_err *err);

#endif

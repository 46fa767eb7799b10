/* Log collection through drover-docker-logger (see docker_logger_run.h). */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker_logger_run.h"

#ifndef DOCKER_LOGGER_PATH
#error "DOCKER_LOGGER_PATH must be defined by the build"
#endif

/* Nomad's LogConfig defaults, for a host that passes 0. */
#define DEFAULT_LOG_MAX_FILES 10
#define DEFAULT_LOG_MAX_FILE_SIZE_MB 10

const char *docker_logger_path(void)
{
	const char *env = getenv("DROVER_DOCKER_LOGGER");
	return env && *env ? env : DOCKER_LOGGER_PATH;
}

int docker_logger_available(const drover_host *host)
{
	return host->struct_size >= offsetof(drover_host, proc_stop) + sizeof(host->proc_stop) &&
	       host->proc_spawn && host->proc_wait_fd && host->proc_status && host->proc_stop;
}

int docker_logger_spawn(const drover_host *host, const docker_client *client,
                        const drover_task_config *cfg, const char *container_id,
                        drover_proc *out, drover_err *err)
{
	const char *argv[12];
	const char *env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	const char *path = docker_logger_path();
	char endpoint[DROVER_PATH_MAX + 16];
	drover_spawn_request req;
	int n = 0, r;

	if (access(path, X_OK) < 0)
		return drover_err_set(err, -errno,
		                      "docker: the log follower \"%s\" cannot be executed: %s: set "
		                      "DROVER_DOCKER_LOGGER to its path, or set the plugin option "
		                      "disable_log_collection",
		                      path, strerror(errno));
	if (!cfg->log_dir || !cfg->task_dir || !cfg->task_name)
		return drover_err_set(err, -EINVAL, "docker: the task and log directories are not set");
	/* The follower's exit status and pids go where no container can reach
	 * (the task directory is bound into the container). */
	if (cfg->struct_size < offsetof(drover_task_config, state_dir) + sizeof(cfg->state_dir) ||
	    !cfg->state_dir)
		return drover_err_set(err, -EINVAL, "docker: the host gave no private state directory "
		                      "for the log follower of task \"%s\"",
		                      cfg->task_name);
	if (client->unix_path)
		snprintf(endpoint, sizeof(endpoint), "unix://%s", client->unix_path);
	else
		snprintf(endpoint, sizeof(endpoint), "%s", client->endpoint);
	argv[n++] = path;
	if (client->tls_ca) {
		argv[n++] = "--tls-ca";
		argv[n++] = client->tls_ca;
	}
	if (client->tls_cert) {
		argv[n++] = "--tls-cert";
		argv[n++] = client->tls_cert;
	}
	if (client->tls_key) {
		argv[n++] = "--tls-key";
		argv[n++] = client->tls_key;
	}
	argv[n++] = endpoint;
	argv[n++] = container_id;
	argv[n] = NULL;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.argv = argv;
	req.env = env;
	req.work_dir = cfg->task_dir;
	req.state_dir = cfg->state_dir;
	req.log_dir = cfg->log_dir;
	req.log_name = cfg->task_name;
	req.log_max_files = cfg->log_max_files ? cfg->log_max_files : DEFAULT_LOG_MAX_FILES;
	req.log_max_file_size = (cfg->log_max_file_size_mb ? cfg->log_max_file_size_mb
	                                                    : DEFAULT_LOG_MAX_FILE_SIZE_MB) *
	                        1024ull * 1024ull;
	req.uid = -1;
	req.gid = -1;
	memset(out, 0, sizeof(*out));
	out->struct_size = sizeof(*out);
	if ((r = host->proc_spawn(host->host_data, &req, out, err)) < 0)
		return r;
	return 0;
}

int docker_logger_drain(const drover_host *host, const drover_proc *proc, long long timeout_ms)
{
	drover_err err;
	struct pollfd pfd;
	int fd = host->proc_wait_fd(host->host_data, proc, &err), r;

	if (fd == -ESRCH)
		return 0;
	if (fd < 0)
		return fd;
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	while ((r = poll(&pfd, 1, (int)timeout_ms)) < 0 && errno == EINTR)
		;
	close(fd);
	return r > 0 ? 0 : -ETIMEDOUT;
}

int docker_logger_stop(const drover_host *host, const drover_proc *proc, long long timeout_ms,
                       drover_err *err)
{
	drover_exit_result res;

	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	if (host->proc_status(host->host_data, proc, &res, NULL) == 0)
		return 0;
	return host->proc_stop(host->host_data, proc, SIGTERM, timeout_ms, err);
}

/* See plugin_task.h. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin_stats.h"
#include "plugin_task.h"

int plugin_task_poll(const plugin_task *t, drover_err *err)
{
	drover_exit_result res;
	int r;

	if (*t->exited)
		return 0;
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	r = t->host->proc_status(t->host->host_data, t->proc, &res, err);
	if (r < 0)
		return r;
	*t->result = res;
	*t->exited = 1;
	return 0;
}

int plugin_task_wait_fd(const plugin_task *t, drover_err *err)
{
	if (*t->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", t->name);
	return t->host->proc_wait_fd(t->host->host_data, t->proc, err);
}

int plugin_task_wait(const plugin_task *t, int flags, drover_exit_result *res, drover_err *err)
{
	uint32_t size;
	int r;

	for (;;) {
		struct pollfd pfd;
		int fd;

		r = plugin_task_poll(t, err);
		if (r != -EAGAIN || (flags & DROVER_WAIT_NOHANG))
			break;
		fd = t->host->proc_wait_fd(t->host->host_data, t->proc, err);
		if (fd == -ESRCH)
			continue; /* the shim is gone: the status is final now */
		if (fd < 0)
			return fd;
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		close(fd);
	}
	if (r < 0)
		return r;
	size = res->struct_size;
	memcpy(res, t->result, size < sizeof(*res) ? size : sizeof(*res));
	res->struct_size = size;
	return 0;
}

int plugin_task_stop(const plugin_task *t, int signo, long long timeout_ms, drover_err *err)
{
	int r;

	if (*t->exited)
		return plugin_cgroup_kill(t->cg, PLUGIN_TASK_CGROUP_KILL_TIMEOUT_MS, err);
	r = t->host->proc_stop(t->host->host_data, t->proc, signo, timeout_ms, err);
	if (r < 0)
		return r;
	/* The shim killed its process group (and exec's PID namespace went with
	 * its pid 1); whatever escaped both (double fork and setsid, pid_mode
	 * host, a shim that died) is still in the cgroup. */
	if ((r = plugin_cgroup_kill(t->cg, PLUGIN_TASK_CGROUP_KILL_TIMEOUT_MS, err)) < 0)
		return r;
	r = plugin_task_poll(t, err);
	if (r == -EAGAIN)
		return drover_err_set(err, -EIO, "task \"%s\" was stopped but its exit status is not "
		                      "recorded yet",
		                      t->name);
	return r;
}

int plugin_task_destroy(const plugin_task *t, int force, drover_err *err)
{
	int r = plugin_task_poll(t, err);

	if (r == -EAGAIN) {
		if (!force)
			return drover_err_set(err, -EBUSY,
			                      "task \"%s\" (pid %d) is still running: stop it first, or "
			                      "destroy it with force",
			                      t->name, t->proc->pid);
		if ((r = plugin_task_stop(t, SIGKILL, 0, err)) < 0)
			return r;
	}
	/* Any other error of the status (unreadable file) must not keep the task
	 * alive forever. */
	if (t->cg->version) {
		drover_err cg_err = { "" };
		if ((plugin_cgroup_kill(t->cg, PLUGIN_TASK_CGROUP_KILL_TIMEOUT_MS, &cg_err) < 0 ||
		     plugin_cgroup_remove(t->cg, &cg_err) < 0) &&
		    t->host->log) {
			char msg[DROVER_ERR_MESSAGE_MAX + 128];
			snprintf(msg, sizeof(msg), "task \"%s\": %s, ignoring", t->name, cg_err.message);
			t->host->log(t->host->host_data, DROVER_LOG_WARN, msg);
		}
	}
	return 0;
}

int plugin_task_inspect(const plugin_task *t, drover_task_status *out, drover_err *err)
{
	drover_task_status s;
	int r = plugin_task_poll(t, err);

	if (r < 0 && r != -EAGAIN)
		return r;
	memset(&s, 0, sizeof(s));
	s.struct_size = out->struct_size;
	s.pid = t->proc->pid;
	s.started_at_ms = t->proc->started_at_ms;
	s.state = *t->exited ? DROVER_TASK_EXITED : DROVER_TASK_RUNNING;
	if (*t->exited) {
		s.completed_at_ms = t->result->exited_at_ms;
		s.exit_code = t->result->exit_code;
		s.signal = t->result->signal;
		s.oom_killed = t->result->oom_killed;
	}
	if (*t->exited && t->result->error[0])
		snprintf(s.detail, sizeof(s.detail), "%s", t->result->error);
	else
		snprintf(s.detail, sizeof(s.detail), "drover-shim pid %d", t->proc->shim_pid);
	memcpy(out, &s, out->struct_size < sizeof(s) ? out->struct_size : sizeof(s));
	return 0;
}

int plugin_task_stats(const plugin_task *t, drover_task_stats *out, drover_err *err)
{
	drover_task_stats s;
	struct timespec ts;

	if (*t->exited || !plugin_stats_alive(t->proc->pid, t->proc->pid_start_time))
		return drover_err_set(err, -ESRCH, "task \"%s\" has exited: no statistics", t->name);
	/* The cgroup counts every process of the task, however it detached. */
	memset(&s, 0, sizeof(s));
	if (!t->cg->version || plugin_cgroup_stats(t->cg, &s, NULL) < 0)
		return plugin_stats_read(t->proc->pid, t->proc->pid_start_time, out, err);
	clock_gettime(CLOCK_REALTIME, &ts);
	s.timestamp_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	s.struct_size = out->struct_size;
	memcpy(out, &s, out->struct_size < sizeof(s) ? out->struct_size : sizeof(s));
	return 0;
}

int plugin_task_signal(const plugin_task *t, int signo, drover_err *err)
{
	if (*t->exited)
		return drover_err_set(err, -ESRCH, "task \"%s\" has already exited", t->name);
	return t->host->proc_signal(t->host->host_data, t->proc, signo, 0, err);
}

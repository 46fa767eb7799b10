/* The event-stream follower (see docker_monitor.h). */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker_container.h"
#include "docker_json.h"
#include "docker_monitor.h"

int docker_event_parse(const char *line, size_t len, char *id, size_t id_len, long long *time_s)
{
	yajl_val v = NULL;
	const char *s;
	int r;

	id[0] = '\0';
	*time_s = -1;
	if ((r = docker_json_parse(line, len, "an event", &v, NULL)) < 0)
		return r;
	s = docker_json_str(v, "Actor", "ID", NULL);
	if (!s)
		s = docker_json_str(v, "id", NULL);
	if (s && strlen(s) < id_len)
		memcpy(id, s, strlen(s) + 1);
	if (docker_json_int(time_s, v, "time", NULL) < 0)
		*time_s = -1;
	yajl_tree_free(v);
	return 0;
}

static int on_event(void *ud, const char *line, size_t len)
{
	docker_monitor *m = ud;
	char id[DOCKER_EVENT_ID_MAX];
	long long t;

	if (docker_event_parse(line, len, id, sizeof(id), &t) < 0)
		return 0;
	if (t >= 0) {
		pthread_mutex_lock(&m->lock);
		if (t > m->since_s)
			m->since_s = t;
		pthread_mutex_unlock(&m->lock);
	}
	if (id[0])
		m->on_die(m->ud, id);
	return 0;
}

static void *monitor_main(void *arg)
{
	docker_monitor *m = arg;
	char *filters, path[512];
	int failures = 0;

	filters = docker_url_escape("{\"type\":[\"container\"],\"event\":[\"die\"],\"label\":[\"" DOCKER_LABEL_ALLOC_ID "\"]}");
	if (!filters)
		return NULL;
	while (!m->stopping) {
		docker_request req;
		docker_lines lines;
		struct timespec until;
		long long since;

		pthread_mutex_lock(&m->lock);
		since = m->since_s;
		pthread_mutex_unlock(&m->lock);
		snprintf(path, sizeof(path), "/events?since=%lld&filters=%s", since, filters);
		memset(&lines, 0, sizeof(lines));
		lines.on_line = on_event;
		lines.ud = m;
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.path = path;
		req.upload_fd = -1;
		req.timeout_ms = -1; /* a stream: it lasts as long as the daemon */
		req.on_chunk = docker_lines_feed;
		req.ud = &lines;
		req.cancel = &m->stopping;
		if (failures > 0)
			m->on_reconnect(m->ud);
		docker_http_do(m->client, &req, NULL, NULL);
		docker_lines_finish(&lines);
		if (m->stopping)
			break;
		failures++;
		/* The daemon went away (or restarted): retry soon, cancellably. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&m->lock);
		if (!m->stopping)
			pthread_cond_timedwait(&m->cond, &m->lock, &until);
		pthread_mutex_unlock(&m->lock);
		m->on_reconnect(m->ud);
	}
	free(filters);
	return NULL;
}

int docker_monitor_start(docker_monitor *m, docker_client *c,
                         void (*on_die)(void *ud, const char *container_id),
                         void (*on_reconnect)(void *ud), void *ud, drover_err *err)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->client = c;
	m->on_die = on_die;
	m->on_reconnect = on_reconnect;
	m->ud = ud;
	/* Deaths from a second before this instance started are replayed: a task
	 * recovered right now may have died just before. */
	m->since_s = (long long)time(NULL) - 1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	/* The host's signals (SIGTERM, SIGCHLD...) are its own business: a thread
	 * of ours that left them unblocked would take them, and a default action
	 * would end the whole process. The thread inherits this mask. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&m->thread, NULL, monitor_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		pthread_cond_destroy(&m->cond);
		pthread_mutex_destroy(&m->lock);
		return drover_err_set(err, -r, "docker: cannot start the event thread: %s",
		                      strerror(r));
	}
	m->running = 1;
	return 0;
}

void docker_monitor_stop(docker_monitor *m)
{
	if (!m->running)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	m->running = 0;
}

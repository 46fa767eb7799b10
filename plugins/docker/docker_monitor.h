/* One thread per plugin instance follows the daemon's event stream
 * (GET /events, container "die" events of drover's containers) and reports each
 * death, so that the host can wait on any number of containers without a thread
 * or a poll per task. When the stream breaks (daemon restarted) the thread
 * reconnects with `since`, so no death is missed, and reports `on_reconnect`
 * so callers can re-check whatever they wait for. */
#ifndef DROVER_DOCKER_MONITOR_H
#define DROVER_DOCKER_MONITOR_H

#include <pthread.h>

#include "docker_http.h"

typedef struct docker_monitor {
	docker_client *client;
	void (*on_die)(void *ud, const char *container_id);
	void (*on_reconnect)(void *ud);
	void *ud;
	pthread_t thread;
	int running;
	volatile int stopping;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long long since_s; /* replay events from here after a reconnect */
} docker_monitor;

int docker_monitor_start(docker_monitor *m, docker_client *c,
                         void (*on_die)(void *ud, const char *container_id),
                         void (*on_reconnect)(void *ud), void *ud, drover_err *err);
/* Ends the stream and joins the thread (within about a second). */
void docker_monitor_stop(docker_monitor *m);

/* Container ids are 64 hex digits; a longer "ID" is not one of drover's. */
#define DOCKER_EVENT_ID_MAX 128
/* One line of GET /events: the container id into `id` ("" when absent or
 * longer than id_len - 1) and "time" into *time_s (-1 when absent); <0 when
 * the line is not JSON drover reads. */
int docker_event_parse(const char *line, size_t len, char *id, size_t id_len, long long *time_s);

#endif

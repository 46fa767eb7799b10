/* Image GC and the dangling-container reaper (see docker_gc.h). */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "docker_gc.h"

#include "docker_container.h"
#include "docker_json.h"
#include "docker_network.h"
#include "docker_state.h"

void docker_gc_init(docker_gc *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
}

void docker_gc_free(docker_gc *g)
{
	while (g->images) {
		docker_gc_image *i = g->images;
		g->images = i->next;
		free(i->id);
		free(i);
	}
	pthread_mutex_destroy(&g->lock);
}

int docker_gc_image_acquire(docker_gc *g, const char *image_id)
{
	docker_gc_image *i;
	int r = 0;

	if (!image_id || !image_id[0])
		return 0;
	pthread_mutex_lock(&g->lock);
	for (i = g->images; i; i = i->next)
		if (strcmp(i->id, image_id) == 0)
			break;
	if (!i) {
		i = calloc(1, sizeof(*i));
		if (i && !(i->id = strdup(image_id))) {
			free(i);
			i = NULL;
		}
		if (i) {
			i->next = g->images;
			g->images = i;
		} else {
			r = -ENOMEM;
		}
	}
	/* A new user cancels a pending removal. */
	if (i)
		i->users++;
	pthread_mutex_unlock(&g->lock);
	return r;
}

void docker_gc_image_release(docker_gc *g, const char *image_id, long long now_ms)
{
	if (!image_id || !image_id[0])
		return;
	pthread_mutex_lock(&g->lock);
	for (docker_gc_image *i = g->images; i; i = i->next)
		if (strcmp(i->id, image_id) == 0 && i->users > 0) {
			if (--i->users == 0)
				i->unused_since_ms = now_ms;
			break;
		}
	pthread_mutex_unlock(&g->lock);
}

static void gc_log(docker_gc_log_fn log, void *ud, drover_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void gc_log(docker_gc_log_fn log, void *ud, drover_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log(ud, level, msg);
}

/* Takes the first image due (users 0, delay passed) off the list; NULL when
 * none. The lock is not held while the daemon is asked. */
static char *take_due_image(docker_gc *g, long long now_ms, long long delay_ms)
{
	char *id = NULL;

	pthread_mutex_lock(&g->lock);
	for (docker_gc_image **p = &g->images; *p; p = &(*p)->next) {
		docker_gc_image *i = *p;
		if (i->users == 0 && now_ms - i->unused_since_ms >= delay_ms) {
			*p = i->next;
			id = i->id;
			free(i);
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return id;
}

static int remove_images(docker_gc *g, docker_client *c, const docker_settings *s,
                         long long now_ms, docker_gc_log_fn log, void *ud, drover_err *err)
{
	char *id;

	while ((id = take_due_image(g, now_ms, s->gc_image_delay_ms)) != NULL) {
		docker_request req;
		docker_response resp;
		char path[160];
		drover_err e = { "" };
		long status;
		int r;

		/* Never forced: an image another container uses, or one with more
		 * tags than the task's, is the daemon's to keep. */
		snprintf(path, sizeof(path), "/images/%.100s", id);
		memset(&req, 0, sizeof(req));
		req.method = "DELETE";
		req.path = path;
		req.upload_fd = -1;
		r = docker_http_do(c, &req, &resp, &e);
		status = resp.status;
		docker_response_free(&resp);
		if (r < 0 && status == 0) {
			/* No daemon: the image stays due, for the next round. */
			docker_gc_image_acquire(g, id);
			docker_gc_image_release(g, id, now_ms - s->gc_image_delay_ms);
			free(id);
			return drover_err_set(err, r, "docker: image GC: %s", e.message);
		}
		if (r == 0)
			gc_log(log, ud, DROVER_LOG_INFO, "docker: removed image %.19s, unused for %llds",
			       id, s->gc_image_delay_ms / 1000);
		else if (status == 409)
			gc_log(log, ud, DROVER_LOG_DEBUG, "docker: image %.19s is still in use, keeping "
			       "it: %s", id, e.message);
		else if (status != 404)
			gc_log(log, ud, DROVER_LOG_WARN, "docker: removing unused image %.19s failed: %s, "
			       "ignoring", id, e.message);
		free(id);
	}
	return 0;
}

/* Several drover processes share one daemon (an agent, detached runners):
 * another one's task is not dangling while its allocation directory, named
 * in the container's label, still exists; nor is an allocation's pause
 * container (docker_network.c, owned by no task) while its run directory does. */
static int alloc_still_known(yajl_val ct)
{
	static const char *const labels[] = { DOCKER_LABEL_ALLOC_DIR, DOCKER_LABEL_NETWORK_DIR };
	struct stat st;

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const char *dir = docker_json_str(ct, "Labels", labels[i], NULL);
		if (dir && dir[0] == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return 1;
	}
	return 0;
}

static int reap(docker_client *c, const docker_settings *s, long long wall_s,
                docker_gc_owned_fn owned, docker_gc_log_fn log, void *ud, drover_err *err)
{
	/* filters={"label":["com.hashicorp.nomad.alloc_id"]} */
	static const char path[] = "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22"
	                           "com.hashicorp.nomad.alloc_id%22%5D%7D";
	docker_request req;
	docker_response resp;
	yajl_val list = NULL;
	int r;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	r = docker_http_do(c, &req, &resp, err);
	if (r == 0)
		r = docker_json_parse(resp.body, resp.len, "the container list", &list, err);
	docker_response_free(&resp);
	if (r < 0)
		return r;
	if (!YAJL_IS_ARRAY(list)) {
		yajl_tree_free(list);
		return drover_err_set(err, -EPROTO, "docker: the container list is not a list");
	}
	for (size_t i = 0; i < list->u.array.len; i++) {
		yajl_val ct = list->u.array.values[i];
		const char *id = docker_json_str(ct, "Id", NULL);
		long long created = 0;
		drover_err e = { "" };

		if (!id || strlen(id) > 64 || owned(ud, id) || alloc_still_known(ct))
			continue;
		if (docker_json_int(&created, ct, "Created", NULL) < 0 ||
		    wall_s - created < s->dangling_grace_ms / 1000)
			continue;
		if (s->dangling_dry_run) {
			gc_log(log, ud, DROVER_LOG_INFO, "docker: container %.12s (alloc %.64s) is owned "
			       "by no task: it would be removed (dry_run)", id,
			       docker_json_str(ct, "Labels", "com.hashicorp.nomad.alloc_id", NULL) ?: "?");
			continue;
		}
		if (docker_container_remove(c, id, &e) == 0)
			gc_log(log, ud, DROVER_LOG_INFO, "docker: removed dangling container %.12s "
			       "(alloc %.64s)", id,
			       docker_json_str(ct, "Labels", "com.hashicorp.nomad.alloc_id", NULL) ?: "?");
		else
			gc_log(log, ud, DROVER_LOG_WARN, "docker: removing dangling container %.12s "
			       "failed: %s, ignoring", id, e.message);
	}
	yajl_tree_free(list);
	return 0;
}

int docker_gc_run(docker_gc *g, docker_client *c, const docker_settings *s, long long now_ms,
                  long long wall_s, docker_gc_owned_fn owned, docker_gc_log_fn log, void *ud,
                  drover_err *err)
{
	int r;

	if (s->gc_image && (r = remove_images(g, c, s, now_ms, log, ud, err)) < 0)
		return r;
	if (!s->dangling_enabled)
		return 0;
	pthread_mutex_lock(&g->lock);
	if (g->next_reap_ms && now_ms < g->next_reap_ms) {
		pthread_mutex_unlock(&g->lock);
		return 0;
	}
	g->next_reap_ms = now_ms + s->dangling_period_ms;
	pthread_mutex_unlock(&g->lock);
	return reap(c, s, wall_s, owned, log, ud, err);
}

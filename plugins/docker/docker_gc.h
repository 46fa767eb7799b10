/* Garbage collection of the docker plugin, run from its `periodic` method:
 *  - images: a count of the live tasks using each image; once the last one is
 *    destroyed the image is removed gc.image_delay later, unless a new task
 *    takes it in between (or another container still uses it: the daemon
 *    refuses, and it is left alone);
 *  - dangling containers: every gc.dangling_containers.period, containers
 *    carrying drover's alloc_id label that no task of this plugin instance
 *    owns and older than creation_grace are removed (dry_run only logs them).
 *
 * Thread safety: every function may be called from any thread. */
#ifndef DROVER_DOCKER_GC_H
#define DROVER_DOCKER_GC_H

#include <pthread.h>

#include <drover/driver.h>

#include "docker_http.h"
#include "docker_settings.h"

typedef struct docker_gc_image {
	char *id;                /* "sha256:..." */
	int users;
	long long unused_since_ms; /* monotonic; meaningful when users == 0 */
	struct docker_gc_image *next;
} docker_gc_image;

typedef struct docker_gc {
	pthread_mutex_t lock;
	docker_gc_image *images;
	long long next_reap_ms;  /* monotonic; 0: at the first periodic call */
} docker_gc;

void docker_gc_init(docker_gc *g);
void docker_gc_free(docker_gc *g);

/* A task started (or was recovered) with this image. */
int docker_gc_image_acquire(docker_gc *g, const char *image_id);
/* That task was destroyed: its image may go image_delay after `now_ms`. */
void docker_gc_image_release(docker_gc *g, const char *image_id, long long now_ms);

/* Is this container id one of a live task of ours? */
typedef int (*docker_gc_owned_fn)(void *ud, const char *container_id);
typedef void (*docker_gc_log_fn)(void *ud, drover_log_level level, const char *message);

/* One round: the images due for removal, and the reaper when its period has
 * come. `now_ms` is monotonic, `wall_s` the epoch seconds to compare with a
 * container's creation time. Failures of single removals are logged, not
 * returned; an unreachable daemon is. */
int docker_gc_run(docker_gc *g, docker_client *c, const docker_settings *s, long long now_ms,
                  long long wall_s, docker_gc_owned_fn owned, docker_gc_log_fn log, void *ud,
                  drover_err *err);

#endif

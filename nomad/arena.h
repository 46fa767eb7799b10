/* Allocations freed all at once: the protobuf-c messages a reply is built of,
 * and the drover_value trees decoded from msgpack, have no other owner. */
#ifndef DROVER_NOMAD_ARENA_H
#define DROVER_NOMAD_ARENA_H

#include <stddef.h>

typedef struct nomad_arena {
	void **blocks;
	size_t count, cap;
	int failed; /* an allocation failed: the caller answers RESOURCE_EXHAUSTED */
} nomad_arena;

/* Zeroed memory, or NULL (and arena->failed set). */
void *nomad_arena_alloc(nomad_arena *a, size_t size);
char *nomad_arena_strdup(nomad_arena *a, const char *s);
char *nomad_arena_strndup(nomad_arena *a, const char *s, size_t len);
void nomad_arena_free(nomad_arena *a);

#define NOMAD_NEW(a, type) ((type *)nomad_arena_alloc((a), sizeof(type)))
#define NOMAD_NEWN(a, type, n) ((type *)nomad_arena_alloc((a), sizeof(type) * ((n) ? (n) : 1)))

static inline void nomad_arena_freep(nomad_arena *a) { nomad_arena_free(a); }
#define _cleanup_arena_ __attribute__((cleanup(nomad_arena_freep)))

#endif

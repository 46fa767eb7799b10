#include "config.h"

#include "strset.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

static void place(const char **keys, size_t *index, size_t cap, const char *key, size_t i)
{
	size_t slot = hash(key) & (cap - 1);
	while (keys[slot])
		slot = (slot + 1) & (cap - 1);
	keys[slot] = key;
	index[slot] = i;
}

static int grow(drover_strset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	const char **keys = calloc(cap, sizeof(*keys));
	size_t *index = calloc(cap, sizeof(*index));
	if (!keys || !index) {
		free(keys);
		free(index);
		return -ENOMEM;
	}
	for (size_t i = 0; i < set->cap; i++)
		if (set->keys[i])
			place(keys, index, cap, set->keys[i], set->index[i]);
	free(set->keys);
	free(set->index);
	set->keys = keys;
	set->index = index;
	set->cap = cap;
	return 0;
}

int drover_strset_add(drover_strset *set, const char *key, size_t index, size_t *first)
{
	if (set->cap) {
		for (size_t slot = hash(key) & (set->cap - 1); set->keys[slot];
		     slot = (slot + 1) & (set->cap - 1)) {
			if (strcmp(set->keys[slot], key) == 0) {
				if (first)
					*first = set->index[slot];
				return 0;
			}
		}
	}
	/* at most half full, so probes stay short */
	if ((set->count + 1) * 2 > set->cap) {
		int rc = grow(set);
		if (rc < 0)
			return rc;
	}
	place(set->keys, set->index, set->cap, key, index);
	set->count++;
	return 1;
}

void drover_strset_clear(drover_strset *set)
{
	free(set->keys);
	free(set->index);
	*set = (drover_strset){0};
}

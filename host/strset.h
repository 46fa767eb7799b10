/* A set of borrowed strings with the index each was added under, for the
 * "is this name used twice" checks of a job file: linear in the number of
 * names, where comparing every pair made 100,000 groups take hours. */
#ifndef DROVER_HOST_STRSET_H
#define DROVER_HOST_STRSET_H

#include <stddef.h>

typedef struct drover_strset {
	const char **keys; /* borrowed: the strings must outlive the set */
	size_t *index;
	size_t cap;        /* a power of two, or 0 */
	size_t count;
} drover_strset;

/* Adds `key` under `index`: 1 when added, 0 when already there (with the
 * index it was first added under in *first), -ENOMEM. */
int drover_strset_add(drover_strset *set, const char *key, size_t index, size_t *first);
void drover_strset_clear(drover_strset *set);

#endif

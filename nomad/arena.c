#include "config.h"

#include "arena.h"

#include <stdlib.h>
#include <string.h>

void *nomad_arena_alloc(nomad_arena *a, size_t size)
{
	if (a->count == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		void **blocks = realloc(a->blocks, cap * sizeof(*blocks));
		if (!blocks) {
			a->failed = 1;
			return NULL;
		}
		a->blocks = blocks;
		a->cap = cap;
	}
	void *p = calloc(1, size ? size : 1);
	if (!p) {
		a->failed = 1;
		return NULL;
	}
	a->blocks[a->count++] = p;
	return p;
}

char *nomad_arena_strndup(nomad_arena *a, const char *s, size_t len)
{
	char *p = nomad_arena_alloc(a, len + 1);
	if (p)
		memcpy(p, s, len);
	return p;
}

char *nomad_arena_strdup(nomad_arena *a, const char *s)
{
	return s ? nomad_arena_strndup(a, s, strlen(s)) : NULL;
}

void nomad_arena_free(nomad_arena *a)
{
	for (size_t i = 0; i < a->count; i++)
		free(a->blocks[i]);
	free(a->blocks);
	*a = (nomad_arena){0};
}

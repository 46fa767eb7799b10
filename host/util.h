/* Small helpers the host modules share: time, paths, ids, string vectors. */
#ifndef DROVER_HOST_UTIL_H
#define DROVER_HOST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

/* For `_cleanup_(drover_freep) char *s = ...;`: freed when s leaves scope. */
#define _cleanup_(f) __attribute__((cleanup(f)))
static inline void drover_freep(void *p)
{
	free(*(void **)p);
}

long long drover_now_ms(void);       /* wall clock, ms since the epoch */
long long drover_monotonic_ms(void); /* for deadlines */

/* "2026-11-22T10:04:05Z" for a wall-clock time in ms; buf of at least 32 bytes. */
void drover_format_time(long long ms, char *buf, size_t len);

/* malloc'd printf; NULL on ENOMEM. */
char *drover_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A Go-style duration of whole units: "500ms", "30s", "2m", "1h" (one number,
 * one unit). 0 and *ms set, or -EINVAL. */
int drover_parse_duration_ms(const char *text, long long *ms);

/* mkdir -p with `mode` for each created level; 0 or -errno. */
int drover_mkdir_p(const char *path, unsigned mode);

/* The data directory: created (mkdir -p) 0711 when missing, and an existing
 * one of ours narrowed so that other users can traverse it (a task running as
 * another uid reaches its directory under alloc/) but neither list nor write
 * it. 0 or -errno. */
int drover_data_dir_prepare(const char *data_dir);

/* A random RFC 4122 version 4 UUID, as Nomad's allocation ids; buf >= 37 bytes. */
int drover_uuid_v4(char *buf, size_t len);

/* A growable, NULL-ended vector of malloc'd strings (argv, environ). */
typedef struct drover_strv {
	char **items;
	size_t count;
	size_t cap;
} drover_strv;

int drover_strv_push(drover_strv *v, const char *s);       /* copies s */
int drover_strv_push_take(drover_strv *v, char *s);        /* takes s; frees it on failure */
void drover_strv_clear(drover_strv *v);

/* Replaces "KEY=..." in an environment vector, or appends it; takes `entry`. */
int drover_env_set(drover_strv *env, char *entry);
const char *drover_env_get(const drover_strv *env, const char *key);

/* Signal number for "SIGINT", "INT", "sigterm"...; 0 when unknown. */
int drover_signal_from_name(const char *name);
/* "SIGINT" for 2; "SIG<n>" buffer form for the rest. */
const char *drover_signal_name(int signo);

#endif

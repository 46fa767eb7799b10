/* drover SDK: configuration values.
 *
 * The host hands a driver its plugin options and each task's `config` block as a
 * read-only tree of drover_value, already validated against the driver's schema
 * (see schema.h) with defaults filled in. The tree is owned by the host and is
 * valid for the duration of the call that received it: copy what you keep.
 *
 * Part of ABI 1: these layouts are frozen; new kinds are only ever appended to
 * enum drover_value_type.
 */
#ifndef DROVER_VALUE_H
#define DROVER_VALUE_H

#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum drover_value_type {
	DROVER_VALUE_NULL = 0,
	DROVER_VALUE_BOOL = 1,
	DROVER_VALUE_INT = 2,    /* JSON integer that fits in long long */
	DROVER_VALUE_FLOAT = 3,  /* any other JSON number */
	DROVER_VALUE_STRING = 4, /* NUL-terminated; len excludes the NUL */
	DROVER_VALUE_ARRAY = 5,
	DROVER_VALUE_OBJECT = 6  /* keys keep the order of the job file */
} drover_value_type;

typedef struct drover_value drover_value;

struct drover_value {
	drover_value_type type;
	union {
		int boolean;
		long long integer;
		double number;
		struct {
			const char *ptr;
			size_t len;
		} string;
		struct {
			size_t count;
			const drover_value *items;
		} array;
		struct {
			size_t count;
			const char *const *keys;
			const drover_value *values;
		} object;
	} u;
};

/* The member named `key` of an object, or NULL when absent or when `obj` is
 * not an object. */
static inline const drover_value *drover_value_get(const drover_value *obj, const char *key)
{
	size_t i;
	if (!obj || obj->type != DROVER_VALUE_OBJECT)
		return NULL;
	for (i = 0; i < obj->u.object.count; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return &obj->u.object.values[i];
	return NULL;
}

/* The string member `key`, or `fallback` when absent or not a string. */
static inline const char *drover_value_get_string(const drover_value *obj, const char *key,
                                                  const char *fallback)
{
	const drover_value *v = drover_value_get(obj, key);
	return (v && v->type == DROVER_VALUE_STRING) ? v->u.string.ptr : fallback;
}

/* The boolean member `key`, or `fallback` when absent or not a boolean. */
static inline int drover_value_get_bool(const drover_value *obj, const char *key, int fallback)
{
	const drover_value *v = drover_value_get(obj, key);
	return (v && v->type == DROVER_VALUE_BOOL) ? v->u.boolean : fallback;
}

/* The integer member `key`, or `fallback` when absent or not an integer. */
static inline long long drover_value_get_int(const drover_value *obj, const char *key,
                                             long long fallback)
{
	const drover_value *v = drover_value_get(obj, key);
	return (v && v->type == DROVER_VALUE_INT) ? v->u.integer : fallback;
}

#ifdef __cplusplus
}
#endif

#endif /* DROVER_VALUE_H */

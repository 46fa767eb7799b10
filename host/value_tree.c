#include "config.h"

#include "value_tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The SDK exposes trees as const so plugins cannot modify them; the host owns
 * every block and casts the const away only here, where it frees them. */
void drover_value_clear(drover_value *v)
{
	if (!v)
		return;
	switch (v->type) {
	case DROVER_VALUE_STRING:
		free((char *)v->u.string.ptr);
		break;
	case DROVER_VALUE_ARRAY: {
		drover_value *items = (drover_value *)v->u.array.items;
		for (size_t i = 0; items && i < v->u.array.count; i++)
			drover_value_clear(&items[i]);
		free(items);
		break;
	}
	case DROVER_VALUE_OBJECT: {
		char **keys = (char **)v->u.object.keys;
		drover_value *values = (drover_value *)v->u.object.values;
		for (size_t i = 0; i < v->u.object.count; i++) {
			if (keys)
				free(keys[i]);
			if (values)
				drover_value_clear(&values[i]);
		}
		free(keys);
		free(values);
		break;
	}
	default:
		break;
	}
	memset(v, 0, sizeof(*v));
	v->type = DROVER_VALUE_NULL;
}

static int copy_string(drover_value *dst, const drover_value *src)
{
	char *s = malloc(src->u.string.len + 1);
	if (!s)
		return -ENOMEM;
	if (src->u.string.len)
		memcpy(s, src->u.string.ptr, src->u.string.len);
	s[src->u.string.len] = '\0';
	dst->type = DROVER_VALUE_STRING;
	dst->u.string.ptr = s;
	dst->u.string.len = src->u.string.len;
	return 0;
}

static int copy_array(drover_value *dst, const drover_value *src)
{
	size_t n = src->u.array.count;
	drover_value tmp = {.type = DROVER_VALUE_ARRAY};
	drover_value *items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	tmp.u.array.items = items;
	for (size_t i = 0; i < n; i++) {
		int rc = drover_value_copy(&items[i], &src->u.array.items[i]);
		tmp.u.array.count = i;
		if (rc < 0) {
			drover_value_clear(&tmp);
			return rc;
		}
	}
	tmp.u.array.count = n;
	*dst = tmp;
	return 0;
}

static int copy_object(drover_value *dst, const drover_value *src)
{
	size_t n = src->u.object.count;
	drover_value tmp = {.type = DROVER_VALUE_OBJECT};
	char **keys = calloc(n ? n : 1, sizeof(*keys));
	drover_value *values = calloc(n ? n : 1, sizeof(*values));
	if (!keys || !values) {
		free(keys);
		free(values);
		return -ENOMEM;
	}
	tmp.u.object.keys = (const char *const *)keys;
	tmp.u.object.values = values;
	for (size_t i = 0; i < n; i++) {
		/* counted before filling so that a failure frees this slot too */
		tmp.u.object.count = i + 1;
		keys[i] = strdup(src->u.object.keys[i]);
		if (!keys[i] || drover_value_copy(&values[i], &src->u.object.values[i]) < 0) {
			drover_value_clear(&tmp);
			return -ENOMEM;
		}
	}
	*dst = tmp;
	return 0;
}

int drover_value_copy(drover_value *dst, const drover_value *src)
{
	drover_value tmp = {.type = DROVER_VALUE_NULL};
	int rc = 0;
	if (!src)
		src = &tmp;
	switch (src->type) {
	case DROVER_VALUE_STRING:
		rc = copy_string(&tmp, src);
		break;
	case DROVER_VALUE_ARRAY:
		rc = copy_array(&tmp, src);
		break;
	case DROVER_VALUE_OBJECT:
		rc = copy_object(&tmp, src);
		break;
	default:
		tmp = *src;
		break;
	}
	if (rc < 0)
		return rc;
	*dst = tmp;
	return 0;
}

const char *drover_value_type_name(drover_value_type type)
{
	switch (type) {
	case DROVER_VALUE_NULL:
		return "null";
	case DROVER_VALUE_BOOL:
		return "boolean";
	case DROVER_VALUE_INT:
		return "integer";
	case DROVER_VALUE_FLOAT:
		return "float";
	case DROVER_VALUE_STRING:
		return "string";
	case DROVER_VALUE_ARRAY:
		return "array";
	case DROVER_VALUE_OBJECT:
		return "object";
	}
	return "unknown type";
}

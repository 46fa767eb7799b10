/* See exec_caps.h. */
#include "exec_caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sys/capability.h>

int exec_caps_number(const char *name)
{
	char buf[64];
	cap_value_t v;
	size_t i, off = 0;

	if (!name || !name[0] || strlen(name) > 40)
		return -1;
	if (strncasecmp(name, "cap_", 4) != 0) {
		memcpy(buf, "cap_", 4);
		off = 4;
	}
	for (i = 0; name[i]; i++)
		buf[off + i] = (char)tolower((unsigned char)name[i]);
	buf[off + i] = '\0';
	/* cap_from_name also takes numbers and "all": only names are names here. */
	for (i = 4; buf[i]; i++)
		if (!islower((unsigned char)buf[i]) && buf[i] != '_')
			return -1;
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -1;
	return (int)v;
}

static int is_all(const char *s)
{
	return strcasecmp(s, "all") == 0;
}

int exec_caps_parse(const drover_value *list, const char *field, int allow_all, uint64_t *out,
                    drover_err *err)
{
	uint64_t set = 0;
	size_t i;

	if (list && list->type != DROVER_VALUE_NULL && list->type != DROVER_VALUE_ARRAY)
		return drover_err_set(err, -EINVAL, "\"%s\" must be a list of capability names",
		                      field);
	for (i = 0; list && list->type == DROVER_VALUE_ARRAY && i < list->u.array.count; i++) {
		const drover_value *e = &list->u.array.items[i];
		int n;
		if (e->type != DROVER_VALUE_STRING)
			return drover_err_set(err, -EINVAL, "\"%s\"[%zu] must be a string", field, i);
		if (allow_all && is_all(e->u.string.ptr)) {
			set = ~(uint64_t)0;
			continue;
		}
		n = exec_caps_number(e->u.string.ptr);
		if (n < 0)
			return drover_err_set(err, -EINVAL,
			                      "\"%s\"[%zu]: \"%.64s\" is not a Linux capability (names "
			                      "as in capabilities(7), e.g. \"net_bind_service\")",
			                      field, i, e->u.string.ptr);
		set |= (uint64_t)1 << n;
	}
	*out = set;
	return 0;
}

int exec_caps_compute(uint64_t allow, const drover_value *cap_add, const drover_value *cap_drop,
                      uint64_t *out, drover_err *err)
{
	uint64_t add, drop, missing;
	int r, n;

	if ((r = exec_caps_parse(cap_add, "cap_add", 0, &add, err)) < 0 ||
	    (r = exec_caps_parse(cap_drop, "cap_drop", 1, &drop, err)) < 0)
		return r;
	missing = add & ~allow;
	if (missing) {
		char *name;
		for (n = 0; !(missing & ((uint64_t)1 << n)); n++)
			;
		name = cap_to_name((cap_value_t)n);
		r = drover_err_set(err, -EPERM,
		                   "\"cap_add\": capability \"%s\" is not in the exec driver's "
		                   "allow_caps: the operator must add it to the plugin option "
		                   "\"allow_caps\"",
		                   name && strncmp(name, "cap_", 4) == 0 ? name + 4 : (name ? name : "?"));
		cap_free(name);
		return r;
	}
	*out = ((allow & ~drop) | add);
	return 0;
}

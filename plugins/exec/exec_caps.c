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

uint64_t exec_caps_all(void)
{
	/* "all" is what this kernel knows and this agent may hand on (its
	 * bounding set; under a container runtime that is less than the
	 * kernel's): a bit beyond either makes cap_set_flag or cap_set_proc
	 * refuse the whole set. */
	int last = CAP_LAST_CAP;
	uint64_t set, bnd = ~(uint64_t)0;
	char line[128];
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

	if (f) {
		int n;
		if (fscanf(f, "%d", &n) == 1 && n >= 0 && n < 63)
			last = n;
		fclose(f);
	}
	set = last >= 63 ? ~(uint64_t)0 : ((uint64_t)1 << (last + 1)) - 1;
	if ((f = fopen("/proc/self/status", "re"))) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			if (sscanf(line, "CapBnd: %llx", &v) == 1)
				bnd = (uint64_t)v;
		}
		fclose(f);
	}
	return set & bnd;
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
			set |= exec_caps_all();
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

	if ((r = exec_caps_parse(cap_add, "cap_add", 1, &add, err)) < 0 ||
	    (r = exec_caps_parse(cap_drop, "cap_drop", 1, &drop, err)) < 0)
		return r;
	missing = add & ~allow;
	if (missing) {
		/* Every one of them, as Nomad names them: the operator fixes the
		 * list once. */
		char names[1024];
		size_t o = 0;
		names[0] = '\0';
		for (n = 0; n < 64; n++) {
			char *name;
			if (!(missing & ((uint64_t)1 << n)))
				continue;
			name = cap_to_name((cap_value_t)n);
			if (o < sizeof(names))
				o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "",
				                      name && strncmp(name, "cap_", 4) == 0 ? name + 4
				                                                          : (name ? name : "?"));
			cap_free(name);
		}
		return drover_err_set(err, -EPERM,
		                      "\"cap_add\": driver does not allow the following capabilities: "
		                      "%s: the operator must add them to the exec plugin option "
		                      "\"allow_caps\"",
		                      names);
	}
	*out = ((allow & ~drop) | add);
	return 0;
}

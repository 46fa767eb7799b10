/* Id sets of denied_host_uids / denied_host_gids; see plugin_ids.h. */
#include "plugin_ids.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Ids are 32-bit on Linux; (uid_t)-1 means "no id" and is refused. */
#define ID_MAX 4294967294UL

static int parse_id(const char **p, unsigned long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned long long)(*s - '0');
		if (v > ID_MAX)
			return -ERANGE;
		s++;
	}
	*out = (unsigned long)v;
	*p = s;
	return 0;
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int plugin_ids_parse(const char *field, const char *text, plugin_ids *out, drover_err *err)
{
	plugin_ids ids = { 0, NULL };
	const char *p = text ? text : "";
	size_t cap = 0;

	p = skip_spaces(p);
	while (*p) {
		unsigned long lo, hi;
		const char *start = p;
		int r = parse_id(&p, &lo);

		if (r == 0) {
			hi = lo;
			p = skip_spaces(p);
			if (*p == '-') {
				p = skip_spaces(p + 1);
				r = parse_id(&p, &hi);
			}
		}
		if (r == 0 && hi < lo)
			r = -EDOM;
		p = skip_spaces(p);
		if (r == 0 && *p && *p != ',')
			r = -EINVAL;
		if (r < 0) {
			size_t len = strcspn(start, ",");
			free(ids.ranges);
			return drover_err_set(err, -EINVAL,
			                      "plugin option \"%s\": \"%.*s\" is not %s", field,
			                      (int)(len > 64 ? 64 : len), start,
			                      r == -EDOM     ? "a range: its lower bound is above its upper bound"
			                      : r == -ERANGE ? "an id: ids go up to 4294967294"
			                                     : "an id or a range like \"10-20\"");
		}
		if (ids.n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			void *nr = realloc(ids.ranges, ncap * sizeof(*ids.ranges));
			if (!nr) {
				free(ids.ranges);
				return drover_err_set(err, -ENOMEM, "out of memory");
			}
			ids.ranges = nr;
			cap = ncap;
		}
		ids.ranges[ids.n].lo = lo;
		ids.ranges[ids.n].hi = hi;
		ids.n++;
		if (*p == ',') {
			p = skip_spaces(p + 1);
			if (!*p) {
				free(ids.ranges);
				return drover_err_set(err, -EINVAL,
				                      "plugin option \"%s\": \"%s\" ends with a \",\"", field,
				                      text);
			}
		}
	}
	*out = ids;
	return 0;
}

int plugin_ids_contains(const plugin_ids *ids, unsigned long id)
{
	size_t i;

	for (i = 0; i < ids->n; i++)
		if (id >= ids->ranges[i].lo && id <= ids->ranges[i].hi)
			return 1;
	return 0;
}

void plugin_ids_free(plugin_ids *ids)
{
	free(ids->ranges);
	ids->ranges = NULL;
	ids->n = 0;
}

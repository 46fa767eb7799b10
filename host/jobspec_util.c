#include "config.h"

#include "jobspec_util.h"

#include "display.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 128

void js_report(js_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	c->failed = 1;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->oom = 1;
		return;
	}
	drover_errlist_add(c->errors, "%s", line);
	free(line);
}

char *js_printf(js_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->oom = 1;
		c->failed = 1;
		return NULL;
	}
	return s;
}

char *js_strdup(js_ctx *c, const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d) {
		c->oom = 1;
		c->failed = 1;
	}
	return d;
}

static char placeholder[] = "?";

char *js_display(js_ctx *c, const char *s)
{
	/* 64 shown bytes, each at most 8 escaped bytes, and "..." */
	size_t len = strlen(s) > 64 ? 64 * 8 + 4 : strlen(s) * 8 + 4;
	char *out = malloc(len);
	if (!out) {
		c->oom = 1;
		c->failed = 1;
		return placeholder;
	}
	return drover_display_escape(out, len, s, 64, 1);
}

void js_display_free(char *s)
{
	if (s != placeholder)
		free(s);
}

/* Go's zero values: what `nomad job run -output` prints for anything unset. */
static int is_empty(const drover_value *v)
{
	switch (v->type) {
	case DROVER_VALUE_NULL:
		return 1;
	case DROVER_VALUE_BOOL:
		return !v->u.boolean;
	case DROVER_VALUE_INT:
		return v->u.integer == 0;
	case DROVER_VALUE_FLOAT:
		return v->u.number == 0;
	case DROVER_VALUE_STRING:
		return v->u.string.len == 0;
	case DROVER_VALUE_ARRAY:
		return v->u.array.count == 0;
	case DROVER_VALUE_OBJECT:
		return v->u.object.count == 0;
	}
	return 0;
}

void js_add_ignored(js_ctx *c, const char *ignored_prefix, const char *key)
{
	drover_jobspec *job = c->job;
	char *path = ignored_prefix ? js_printf(c, "%s.%s", ignored_prefix, key) : js_strdup(c, key);
	if (!path)
		return;
	char **grown = realloc(job->ignored, (job->ignored_count + 1) * sizeof(*grown));
	if (!grown) {
		free(path);
		c->oom = 1;
		c->failed = 1;
		return;
	}
	job->ignored = grown;
	job->ignored[job->ignored_count++] = path;
}

void js_check_keys(js_ctx *c, const drover_value *obj, const js_key *keys, const char *where,
                   const char *prefix, const char *ignored_prefix)
{
	for (size_t i = 0; i < obj->u.object.count; i++) {
		const char *name = obj->u.object.keys[i];
		const js_key *k = keys;
		const js_key *near = NULL;
		for (; k->name; k++) {
			if (strcmp(k->name, name) == 0)
				break;
			if (!near && strcasecmp(k->name, name) == 0)
				near = k;
		}
		if (k->name) {
			if (k->kind == JS_IGNORED && !is_empty(&obj->u.object.values[i]))
				js_add_ignored(c, ignored_prefix, name);
			continue;
		}
		char *shown = js_display(c, name);
		if (near)
			js_report(c, "%s: unknown key \"%s%s%s\" (did you mean \"%s\"? keys are case-sensitive)",
			          where, prefix ? prefix : "", prefix ? "." : "", shown, near->name);
		else
			js_report(c, "%s: unknown key \"%s%s%s\": Nomad's job API has no such key; check its spelling",
			          where, prefix ? prefix : "", prefix ? "." : "", shown);
		js_display_free(shown);
	}
}

static const drover_value *lookup(const drover_value *obj, const char *key)
{
	const drover_value *v = drover_value_get(obj, key);
	return v && v->type != DROVER_VALUE_NULL ? v : NULL;
}

static int wrong_type(js_ctx *c, const char *where, const char *prefix, const char *key,
                      const char *expected, const drover_value *v)
{
	js_report(c, "%s: \"%s%s%s\" must be %s, not %s", where, prefix ? prefix : "", prefix ? "." : "",
	          key, expected, drover_value_type_name(v->type));
	return -1;
}

int js_get_string(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                  const char *prefix, const char **out)
{
	const drover_value *v = lookup(obj, key);
	if (!v)
		return 0;
	if (v->type != DROVER_VALUE_STRING)
		return wrong_type(c, where, prefix, key, "a string", v);
	*out = v->u.string.ptr;
	return 1;
}

/* The JSON reader keeps integers past long long as floats: 18446744073709551616
 * is an integer that is too large, not "a float". */
static int out_of_range_integer(const drover_value *v)
{
	return v->type == DROVER_VALUE_FLOAT && v->u.number == floor(v->u.number) &&
	       (v->u.number >= 9223372036854775807.0 || v->u.number < -9223372036854775807.0);
}

static int report_range(js_ctx *c, const char *where, const char *prefix, const char *key,
                        const drover_value *v, long long min, long long max, const char *unit)
{
	char given[48];
	if (v->type == DROVER_VALUE_INT)
		snprintf(given, sizeof(given), "%lld", v->u.integer);
	else
		snprintf(given, sizeof(given), "%.0f", v->u.number); /* integral: see out_of_range_integer */
	int big = v->type == DROVER_VALUE_INT ? v->u.integer > max : v->u.number > 0;
	if (big)
		js_report(c, "%s: \"%s%s%s\" is too large (%s): the largest value accepted is %lld%s",
		          where, prefix ? prefix : "", prefix ? "." : "", key, given, max, unit);
	else
		js_report(c, "%s: \"%s%s%s\" is too small (%s): the smallest value accepted is %lld%s",
		          where, prefix ? prefix : "", prefix ? "." : "", key, given, min, unit);
	return -1;
}

int js_get_int(js_ctx *c, const drover_value *obj, const char *key, const char *where,
               const char *prefix, long long *out)
{
	const drover_value *v = lookup(obj, key);
	if (!v)
		return 0;
	if (out_of_range_integer(v))
		return report_range(c, where, prefix, key, v, LLONG_MIN, LLONG_MAX, "");
	if (v->type != DROVER_VALUE_INT)
		return wrong_type(c, where, prefix, key, "an integer", v);
	*out = v->u.integer;
	return 1;
}

int js_get_int_range(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                     const char *prefix, long long min, long long max, const char *unit,
                     long long *out)
{
	const drover_value *v = lookup(obj, key);
	if (!v)
		return 0;
	if (out_of_range_integer(v) ||
	    (v->type == DROVER_VALUE_INT && (v->u.integer < min || v->u.integer > max)))
		return report_range(c, where, prefix, key, v, min, max, unit ? unit : "");
	return js_get_int(c, obj, key, where, prefix, out);
}

int js_get_bool(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                const char *prefix, int *out)
{
	const drover_value *v = lookup(obj, key);
	if (!v)
		return 0;
	if (v->type != DROVER_VALUE_BOOL)
		return wrong_type(c, where, prefix, key, "a boolean (true or false)", v);
	*out = v->u.boolean;
	return 1;
}

int js_get_object(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                  const char *prefix, const drover_value **out)
{
	const drover_value *v = lookup(obj, key);
	if (!v)
		return 0;
	if (v->type != DROVER_VALUE_OBJECT)
		return wrong_type(c, where, prefix, key, "an object", v);
	*out = v;
	return 1;
}

int js_get_array(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                 const char *prefix, const drover_value **out)
{
	const drover_value *v = lookup(obj, key);
	if (!v)
		return 0;
	if (v->type != DROVER_VALUE_ARRAY)
		return wrong_type(c, where, prefix, key, "an array", v);
	*out = v;
	return 1;
}

int js_get_duration_ms(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                       const char *prefix, long long *out_ms)
{
	const drover_value *v = lookup(obj, key);
	if (!v)
		return 0;
	if (out_of_range_integer(v))
		return report_range(c, where, prefix, key, v, 0, LLONG_MAX, " ns");
	if (v->type != DROVER_VALUE_INT)
		return wrong_type(c, where, prefix, key, "an integer number of nanoseconds (5000000000 for 5s)", v);
	if (v->u.integer < 0) {
		js_report(c, "%s: \"%s%s%s\" must not be negative (it is %lld ns)", where,
		          prefix ? prefix : "", prefix ? "." : "", key, v->u.integer);
		return -1;
	}
	*out_ms = v->u.integer / 1000000;
	return 1;
}

void js_kv_free(drover_kv *kv, size_t count)
{
	for (size_t i = 0; kv && i < count; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void js_get_string_map(js_ctx *c, const drover_value *obj, const char *key, const char *where,
                       drover_kv **out, size_t *count)
{
	const drover_value *m = NULL;
	if (js_get_object(c, obj, key, where, NULL, &m) <= 0)
		return;
	size_t n = m->u.object.count;
	drover_kv *kv = calloc(n ? n : 1, sizeof(*kv));
	if (!kv) {
		c->oom = c->failed = 1;
		return;
	}
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		const char *k = m->u.object.keys[i];
		const drover_value *v = &m->u.object.values[i];
		char *shown = js_display(c, k);
		if (v->type != DROVER_VALUE_STRING) {
			js_report(c, "%s: \"%s.%s\" must be a string, not %s (quote numbers and booleans)",
			          where, key, shown, drover_value_type_name(v->type));
		} else if (k[0] == '\0' || (strcmp(key, "Env") == 0 && strchr(k, '='))) {
			js_report(c, "%s: \"%s\" has an unusable name \"%s\": names must be non-empty%s", where,
			          key, shown, strcmp(key, "Env") == 0 ? " and without '='" : "");
		} else {
			kv[used].key = js_strdup(c, k);
			kv[used].value = js_strdup(c, v->u.string.ptr);
			used++;
		}
		js_display_free(shown);
	}
	*out = kv;
	*count = used;
}

int js_check_name(js_ctx *c, const char *where, const char *key, const char *name)
{
	size_t len = strlen(name);
	int ok = len > 0 && len <= NAME_MAX_LEN && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
	for (size_t i = 0; ok && i < len; i++) {
		char ch = name[i];
		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		     ch == '.' || ch == '_' || ch == '-';
	}
	if (ok)
		return 1;
	char *shown = js_display(c, name);
	if (len == 0)
		js_report(c, "%s: \"%s\" must not be empty", where, key);
	else
		js_report(c, "%s: \"%s\" \"%s\" cannot be used: it names a directory, so use 1 to %d letters, digits, '.', '_' or '-' (and not \".\" or \"..\")",
		          where, key, shown, NAME_MAX_LEN);
	js_display_free(shown);
	return 0;
}

void js_restart_defaults(js_ctx *c, const char *job_type, drover_restart_policy *out)
{
	/* Nomad's defaults: batch work retries more, over a day; services fail fast. */
	int batch = strcmp(job_type, "batch") == 0 || strcmp(job_type, "sysbatch") == 0;
	out->attempts = batch ? 3 : 2;
	out->interval_ms = batch ? 24LL * 3600 * 1000 : 30LL * 60 * 1000;
	out->delay_ms = 15 * 1000;
	out->mode = js_strdup(c, "fail");
}

void js_get_restart(js_ctx *c, const drover_value *obj, const char *where,
                    const char *ignored_prefix, drover_restart_policy *inout)
{
	static const js_key keys[] = {
		{"Attempts", JS_USED}, {"Interval", JS_USED}, {"Delay", JS_USED},
		{"Mode", JS_USED},     {"RenderTemplates", JS_IGNORED}, JS_KEYS_END,
	};
	const drover_value *rp = NULL;
	if (js_get_object(c, obj, "RestartPolicy", where, NULL, &rp) <= 0)
		return;
	char *ip = js_printf(c, "%s%sRestartPolicy", ignored_prefix ? ignored_prefix : "",
	                     ignored_prefix ? "." : "");
	js_check_keys(c, rp, keys, where, "RestartPolicy", ip);
	free(ip);
	long long attempts;
	if (js_get_int_range(c, rp, "Attempts", where, "RestartPolicy", 0, 1000000, "", &attempts) > 0)
		inout->attempts = (int)attempts;
	js_get_duration_ms(c, rp, "Interval", where, "RestartPolicy", &inout->interval_ms);
	js_get_duration_ms(c, rp, "Delay", where, "RestartPolicy", &inout->delay_ms);
	const char *mode = NULL;
	if (js_get_string(c, rp, "Mode", where, "RestartPolicy", &mode) > 0 && mode[0]) {
		if (strcmp(mode, "fail") != 0 && strcmp(mode, "delay") != 0) {
			char *shown = js_display(c, mode);
			js_report(c, "%s: \"RestartPolicy.Mode\" must be \"fail\" or \"delay\", not \"%s\"",
			          where, shown);
			js_display_free(shown);
		} else {
			char *copy = js_strdup(c, mode);
			if (copy) {
				free(inout->mode);
				inout->mode = copy;
			}
		}
	}
}

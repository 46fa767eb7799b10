#include "config.h"

#include "interpolate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "value_tree.h"

typedef struct buf {
	char *data;
	size_t len, cap, max;
	int measure; /* only count: validation sizes a task without building it */
} buf;

static int buf_add(buf *b, const char *s, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -E2BIG;
	if (b->measure) {
		b->len += n;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->data, cap);
		if (!grown)
			return -ENOMEM;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* The characters of Nomad's reference pattern `\${[a-zA-Z0-9_\-\.]+}`. */
static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static const char *env_lookup(const char *const *env, const char *key)
{
	size_t len = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

static const char *meta_lookup(const drover_interp_scope *s, const char *key)
{
	for (int level = 2; level >= 0; level--)
		for (size_t i = s->meta_count[level]; i-- > 0;)
			if (s->meta[level][i].key && strcmp(s->meta[level][i].key, key) == 0)
				return s->meta[level][i].value;
	if (s->node)
		return drover_value_get_string(s->node->meta, key, NULL);
	return NULL;
}

static const char *resolve(const drover_interp_scope *s, const char *name)
{
	const drover_node_info *n = s->node;
	if (strncmp(name, "node.", 5) == 0) {
		if (!n)
			return NULL;
		const char *k = name + 5;
		return strcmp(k, "unique.id") == 0     ? n->id
		       : strcmp(k, "unique.name") == 0 ? n->name
		       : strcmp(k, "datacenter") == 0  ? n->datacenter
		       : strcmp(k, "region") == 0      ? n->region
		       : strcmp(k, "class") == 0       ? n->node_class
		                                       : NULL;
	}
	if (strncmp(name, "attr.", 5) == 0)
		return n ? drover_node_info_attr(n, name + 5) : NULL;
	if (strncmp(name, "meta.", 5) == 0)
		return meta_lookup(s, name + 5);
	if (strncmp(name, "env.", 4) == 0)
		return env_lookup(s->env, name + 4);
	return env_lookup(s->env, name);
}

/* One left-to-right pass, as Go's ReplaceAllStringFunc with Nomad's pattern:
 * a `$` that does not start a complete reference is copied and the scan goes
 * on from the next character, so "${a${b}}" still replaces ${b}. Linear in
 * the input; replaced text is never scanned again. */
static int interpolate(const drover_interp_scope *s, const char *in, buf *out)
{
	int rc = buf_add(out, "", 0);
	const char *p = in;
	while (rc == 0 && *p) {
		const char *dollar = strchr(p, '$');
		if (!dollar)
			return buf_add(out, p, strlen(p));
		if ((rc = buf_add(out, p, (size_t)(dollar - p))) < 0)
			return rc;
		p = dollar;
		size_t n = 0;
		if (p[1] == '{')
			while (name_char(p[2 + n]))
				n++;
		if (p[1] != '{' || n == 0 || p[2 + n] != '}') {
			rc = buf_add(out, "$", 1);
			p++;
			continue;
		}
		char *name = strndup(p + 2, n);
		if (!name)
			return -ENOMEM;
		const char *value = resolve(s, name);
		free(name);
		rc = value ? buf_add(out, value, strlen(value)) : buf_add(out, p, n + 3);
		p += n + 3;
	}
	return rc;
}

static int fail(drover_err *err, int rc, const char *field, size_t max)
{
	if (rc == -E2BIG)
		return drover_err_set(err, rc, "%s: longer than %zu bytes once its ${...} references are replaced",
		                      field, max);
	return drover_err_set(err, rc, "%s: cannot interpolate: %s", field, strerror(-rc));
}

int drover_interpolate_string(const drover_interp_scope *scope, const char *in, const char *field,
                              char **out, drover_err *err)
{
	buf b = {.max = scope->max_len ? scope->max_len : DROVER_INTERPOLATE_MAX_LEN};
	int rc = interpolate(scope, in, &b);
	if (rc < 0) {
		free(b.data);
		return fail(err, rc, field, b.max);
	}
	*out = b.data;
	return 0;
}

int drover_interpolate_measure(const drover_interp_scope *scope, const char *in, size_t max,
                               size_t *len)
{
	buf b = {.max = max, .measure = 1};
	int rc = interpolate(scope, in, &b);
	if (rc < 0)
		return rc;
	*len = b.len;
	return 0;
}

static int value_at(const drover_interp_scope *s, const drover_value *in, char *path, size_t cap,
                    drover_value *out, drover_err *err)
{
	size_t base = strlen(path);
	*out = (drover_value){.type = DROVER_VALUE_NULL};
	switch (in->type) {
	case DROVER_VALUE_STRING: {
		char *str = NULL;
		int rc = drover_interpolate_string(s, in->u.string.ptr, path, &str, err);
		if (rc < 0)
			return rc;
		out->type = DROVER_VALUE_STRING;
		out->u.string.ptr = str;
		out->u.string.len = strlen(str);
		return 0;
	}
	case DROVER_VALUE_ARRAY: {
		size_t n = in->u.array.count;
		drover_value *items = calloc(n ? n : 1, sizeof(*items));
		if (!items)
			return drover_err_set(err, -ENOMEM, "%s: out of memory", path);
		out->type = DROVER_VALUE_ARRAY;
		out->u.array.items = items;
		for (size_t i = 0; i < n; i++) {
			snprintf(path + base, cap - base, "[%zu]", i);
			int rc = value_at(s, &in->u.array.items[i], path, cap, &items[i], err);
			out->u.array.count = i + 1;
			if (rc < 0)
				return rc;
		}
		path[base] = '\0';
		return 0;
	}
	case DROVER_VALUE_OBJECT: {
		size_t n = in->u.object.count;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));
		drover_value *values = calloc(n ? n : 1, sizeof(*values));
		if (!keys || !values) {
			free(keys);
			free(values);
			return drover_err_set(err, -ENOMEM, "%s: out of memory", path);
		}
		out->type = DROVER_VALUE_OBJECT;
		out->u.object.keys = keys;
		out->u.object.values = values;
		for (size_t i = 0; i < n; i++) {
			out->u.object.count = i + 1;
			if (!(keys[i] = strdup(in->u.object.keys[i])))
				return drover_err_set(err, -ENOMEM, "%s: out of memory", path);
			snprintf(path + base, cap - base, ".%s", in->u.object.keys[i]);
			int rc = value_at(s, &in->u.object.values[i], path, cap, &values[i], err);
			if (rc < 0)
				return rc;
		}
		path[base] = '\0';
		return 0;
	}
	default:
		*out = *in;
		return 0;
	}
}

int drover_interpolate_value(const drover_interp_scope *scope, const drover_value *in,
                             const char *field, drover_value *out, drover_err *err)
{
	char path[512];
	snprintf(path, sizeof(path), "%s", field);
	drover_value v;
	int rc = value_at(scope, in, path, sizeof(path), &v, err);
	if (rc < 0) {
		drover_value_clear(&v);
		return rc;
	}
	*out = v;
	return 0;
}

int drover_interpolate_task_config(const drover_interp_scope *scope, const drover_jobspec *job,
                                   const drover_jobspec_group *group,
                                   const drover_jobspec_task *task, const drover_value *config,
                                   drover_value *out, drover_err *err)
{
	char field[300];
	snprintf(field, sizeof(field), "job \"%.64s\", group \"%.64s\", task \"%.64s\": Config",
	         job->name, group->name, task->name);
	return drover_interpolate_value(scope, config, field, out, err);
}

void drover_interp_scope_for_task(drover_interp_scope *scope, const drover_jobspec *job,
                                  const drover_jobspec_group *group,
                                  const drover_jobspec_task *task, const drover_strv *env,
                                  const drover_node_info *node)
{
	*scope = (drover_interp_scope){
		.env = env ? (const char *const *)env->items : NULL,
		.meta = {job ? job->meta : NULL, group ? group->meta : NULL, task ? task->meta : NULL},
		.meta_count = {job ? job->meta_count : 0, group ? group->meta_count : 0,
		               task ? task->meta_count : 0},
		.node = node,
	};
}

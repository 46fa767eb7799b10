#include "config.h"

#include "schema_check.h"

#include "display.h"
#include "json.h"
#include "value_tree.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void drover_errlist_add(drover_errlist *list, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	if (!list)
		return;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Doubling: a job with 40,000 mistakes must not cost 40,000 reallocs. */
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		char **grown = realloc(list->lines, cap * sizeof(*grown));
		if (!grown) {
			free(line);
			return;
		}
		list->lines = grown;
		list->cap = cap;
	}
	list->lines[list->count++] = line;
}

void drover_errlist_print(FILE *f, const drover_errlist *list, const char *prefix)
{
	size_t shown = list->count > DROVER_ERRLIST_PRINT_MAX ? DROVER_ERRLIST_PRINT_MAX : list->count;
	for (size_t i = 0; i < shown; i++)
		fprintf(f, "%s%s\n", prefix ? prefix : "", drover_display(list->lines[i]));
	if (shown < list->count)
		fprintf(f, "%sand %zu more error%s (only the first %d are shown)\n", prefix ? prefix : "",
		        list->count - shown, list->count - shown == 1 ? "" : "s", DROVER_ERRLIST_PRINT_MAX);
}

void drover_errlist_clear(drover_errlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->lines[i]);
	free(list->lines);
	list->lines = NULL;
	list->count = 0;
	list->cap = 0;
}

/* ------------------------------------------------------------------ checks */

typedef struct checker {
	drover_errlist *errors;
	const char *where;
	int failed; /* counted here, not from errors->count: a lost line still fails */
	int oom;
} checker;

#define report(c, ...)                                         \
	do {                                                   \
		(c)->failed = 1;                               \
		drover_errlist_add((c)->errors, __VA_ARGS__);  \
	} while (0)

static const char *expected_name(const drover_field *f)
{
	switch (f->type) {
	case DROVER_FIELD_STRING:
		return "string";
	case DROVER_FIELD_BOOL:
		return "boolean";
	case DROVER_FIELD_INT:
		return "integer";
	case DROVER_FIELD_FLOAT:
		return "number";
	case DROVER_FIELD_STRING_LIST:
		return "array of strings";
	case DROVER_FIELD_STRING_MAP:
		return "object of strings";
	case DROVER_FIELD_BLOCK:
		return "object";
	case DROVER_FIELD_BLOCK_LIST:
		return "array of objects (or one object)";
	case DROVER_FIELD_ANY:
		return "any value";
	}
	return "a type this host does not know";
}

static char *join_key(const char *prefix, const char *key)
{
	char *s = NULL;
	if (asprintf(&s, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key) < 0)
		return NULL;
	return s;
}

static char *join_index(const char *prefix, size_t i)
{
	char *s = NULL;
	if (asprintf(&s, "%s[%zu]", prefix, i) < 0)
		return NULL;
	return s;
}

/* An object being built: keys and values grow together. */
typedef struct obj_builder {
	drover_value v;
	char **keys;
	drover_value *values;
	size_t cap;
} obj_builder;

static int obj_add(obj_builder *b, const char *key, drover_value *val)
{
	size_t n = b->v.u.object.count;
	if (n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		char **keys = realloc(b->keys, cap * sizeof(*keys));
		if (keys)
			b->keys = keys;
		drover_value *values = keys ? realloc(b->values, cap * sizeof(*values)) : NULL;
		if (values)
			b->values = values;
		b->v.u.object.keys = (const char *const *)b->keys;
		b->v.u.object.values = b->values;
		if (!keys || !values) {
			drover_value_clear(val);
			return -ENOMEM;
		}
		b->cap = cap;
	}
	b->keys[n] = strdup(key);
	if (!b->keys[n]) {
		drover_value_clear(val);
		return -ENOMEM;
	}
	b->values[n] = *val;
	b->v.u.object.count = n + 1;
	return 0;
}

static void obj_init(obj_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->v.type = DROVER_VALUE_OBJECT;
}

static int check_block(checker *c, const drover_field *fields, const drover_value *input,
                       const char *path, drover_value *out);

static int check_value(checker *c, const drover_field *f, const drover_value *v, const char *path,
                       drover_value *out);

/* Checks each element of an array with `elem` and copies the checked result. */
static int check_array(checker *c, const drover_field *elem, const drover_value *v,
                       const char *path, drover_value *out)
{
	size_t n = v->u.array.count;
	drover_value *items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	drover_value arr = {.type = DROVER_VALUE_ARRAY};
	arr.u.array.items = items;
	int rc = 0;
	for (size_t i = 0; i < n && rc != -ENOMEM; i++) {
		char *ipath = join_index(path, i);
		if (!ipath) {
			rc = -ENOMEM;
			break;
		}
		int r = check_value(c, elem, &v->u.array.items[i], ipath, &items[i]);
		free(ipath);
		if (r < 0)
			rc = r;
		arr.u.array.count = i + 1;
	}
	if (rc < 0) {
		drover_value_clear(&arr);
		return rc;
	}
	*out = arr;
	return 0;
}

static int type_error(checker *c, const drover_field *f, const drover_value *v, const char *path)
{
	report(c, "%s: field \"%s\": expected %s, given %s", c->where, path, expected_name(f),
	       drover_value_type_name(v->type));
	return -EINVAL;
}

/* 0 with *out filled, -EINVAL when reported, -ENOMEM. */
static int check_value(checker *c, const drover_field *f, const drover_value *v, const char *path,
                       drover_value *out)
{
	static const drover_field string_elem = {"", DROVER_FIELD_STRING, 0, NULL, NULL, NULL};
	drover_field block_elem;
	switch (f->type) {
	case DROVER_FIELD_STRING:
		if (v->type != DROVER_VALUE_STRING)
			return type_error(c, f, v, path);
		break;
	case DROVER_FIELD_BOOL:
		if (v->type != DROVER_VALUE_BOOL)
			return type_error(c, f, v, path);
		break;
	case DROVER_FIELD_INT:
		/* past long long the JSON reader keeps a float: say what is wrong */
		if (v->type == DROVER_VALUE_FLOAT && v->u.number == floor(v->u.number) &&
		    fabs(v->u.number) >= 9223372036854775807.0) {
			report(c, "%s: field \"%s\": the integer %.0f is too %s: the %s value accepted is %lld",
			       c->where, path, v->u.number, v->u.number > 0 ? "large" : "small",
			       v->u.number > 0 ? "largest" : "smallest", v->u.number > 0 ? LLONG_MAX : LLONG_MIN);
			return -EINVAL;
		}
		if (v->type != DROVER_VALUE_INT)
			return type_error(c, f, v, path);
		break;
	case DROVER_FIELD_FLOAT:
		if (v->type != DROVER_VALUE_INT && v->type != DROVER_VALUE_FLOAT)
			return type_error(c, f, v, path);
		break;
	case DROVER_FIELD_STRING_LIST:
		if (v->type != DROVER_VALUE_ARRAY)
			return type_error(c, f, v, path);
		return check_array(c, &string_elem, v, path, out);
	case DROVER_FIELD_STRING_MAP:
		if (v->type != DROVER_VALUE_OBJECT)
			return type_error(c, f, v, path);
		for (size_t i = 0; i < v->u.object.count; i++) {
			const drover_value *item = &v->u.object.values[i];
			if (item->type != DROVER_VALUE_STRING) {
				report(c, "%s: field \"%s\": the value of \"%s\" must be a string, given %s",
				       c->where, path, v->u.object.keys[i], drover_value_type_name(item->type));
				return -EINVAL;
			}
		}
		break;
	case DROVER_FIELD_BLOCK:
		if (v->type != DROVER_VALUE_OBJECT)
			return type_error(c, f, v, path);
		/* A block without a nested table takes any keys: the driver reads it itself. */
		if (f->fields)
			return check_block(c, f->fields, v, path, out);
		break;
	case DROVER_FIELD_BLOCK_LIST:
		block_elem = *f;
		block_elem.type = DROVER_FIELD_BLOCK;
		if (v->type == DROVER_VALUE_OBJECT) {
			/* Nomad's HCL-to-JSON writes a single block as one object. */
			drover_value one = {.type = DROVER_VALUE_ARRAY};
			one.u.array.count = 1;
			one.u.array.items = v;
			return check_array(c, &block_elem, &one, path, out);
		}
		if (v->type != DROVER_VALUE_ARRAY)
			return type_error(c, f, v, path);
		return check_array(c, &block_elem, v, path, out);
	case DROVER_FIELD_ANY:
		break;
	default:
		report(c, "%s: field \"%s\": the driver's schema gives it an unknown type %d; report this to the driver's author",
		       c->where, path, (int)f->type);
		return -EINVAL;
	}
	return drover_value_copy(out, v);
}

static const drover_field *find_field(const drover_field *fields, const char *name)
{
	for (const drover_field *f = fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void report_unknown(checker *c, const drover_field *fields, const char *path,
                           const char *key_path)
{
	size_t len = 1;
	for (const drover_field *f = fields; f->name; f++)
		len += strlen(f->name) + 2;
	char *known = malloc(len);
	if (!known) {
		report(c, "%s: unknown key \"%s\"", c->where, key_path);
		return;
	}
	known[0] = '\0';
	for (const drover_field *f = fields; f->name; f++) {
		if (f != fields)
			strcat(known, ", ");
		strcat(known, f->name);
	}
	if (path)
		report(c, "%s: unknown key \"%s\" (known keys in \"%s\": %s)", c->where, key_path, path,
		       known[0] ? known : "none");
	else
		report(c, "%s: unknown key \"%s\" (known keys: %s)", c->where, key_path,
		       known[0] ? known : "none");
	free(known);
}

/* The default of an absent field, parsed and checked like user input. */
static int apply_default(checker *c, const drover_field *f, const char *path, drover_value *out)
{
	drover_err err = {{0}};
	drover_value parsed = {.type = DROVER_VALUE_NULL};
	int rc = drover_json_parse("default", f->default_json, strlen(f->default_json), &parsed, &err);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		report(c, "%s: the driver's schema has a malformed default for \"%s\" (%s); report this to the driver's author",
		       c->where, path, err.message);
		return -EINVAL;
	}
	drover_errlist scratch = {0};
	checker sub = {.errors = &scratch, .where = c->where};
	rc = check_value(&sub, f, &parsed, path, out);
	drover_value_clear(&parsed);
	if (rc == -EINVAL || (rc == 0 && sub.failed)) {
		report(c, "%s: the driver's schema default for \"%s\" is not a valid %s (%s); report this to the driver's author",
		       c->where, path, expected_name(f), scratch.count ? scratch.lines[0] : "invalid");
		if (rc == 0)
			drover_value_clear(out);
		rc = -EINVAL;
	}
	drover_errlist_clear(&scratch);
	return rc;
}

static int check_block(checker *c, const drover_field *fields, const drover_value *input,
                       const char *path, drover_value *out)
{
	obj_builder b;
	obj_init(&b);
	int rc = 0;
	size_t n = input ? input->u.object.count : 0;
	for (size_t i = 0; i < n && rc != -ENOMEM; i++) {
		const char *key = input->u.object.keys[i];
		const drover_value *v = &input->u.object.values[i];
		char *kpath = join_key(path, key);
		if (!kpath) {
			rc = -ENOMEM;
			break;
		}
		const drover_field *f = find_field(fields, key);
		if (!f) {
			report_unknown(c, fields, path, kpath);
			rc = -EINVAL;
		} else if (v->type != DROVER_VALUE_NULL) {
			drover_value checked = {.type = DROVER_VALUE_NULL};
			int r = check_value(c, f, v, kpath, &checked);
			if (r == 0)
				r = obj_add(&b, key, &checked);
			if (r < 0)
				rc = r;
		}
		free(kpath);
	}
	for (const drover_field *f = fields; f->name && rc != -ENOMEM; f++) {
		const drover_value *v = input ? drover_value_get(input, f->name) : NULL;
		if (v && v->type != DROVER_VALUE_NULL)
			continue;
		if (!f->required && !f->default_json)
			continue;
		char *kpath = join_key(path, f->name);
		if (!kpath) {
			rc = -ENOMEM;
			break;
		}
		if (f->required) {
			report(c, "%s: missing required field \"%s\"", c->where, kpath);
			rc = -EINVAL;
		} else {
			drover_value def = {.type = DROVER_VALUE_NULL};
			int r = apply_default(c, f, kpath, &def);
			if (r == 0)
				r = obj_add(&b, f->name, &def);
			if (r < 0)
				rc = r;
		}
		free(kpath);
	}
	if (rc < 0) {
		drover_value_clear(&b.v);
		return rc;
	}
	*out = b.v;
	return 0;
}

int drover_schema_check(const drover_field *fields, const drover_value *input, const char *where,
                        drover_value *out, drover_errlist *errors)
{
	static const drover_field no_fields[] = {DROVER_FIELD_END};
	checker c = {.errors = errors, .where = where ? where : "config"};
	drover_value result = {.type = DROVER_VALUE_NULL};
	int rc;
	if (!fields)
		fields = no_fields;
	if (input && input->type == DROVER_VALUE_NULL)
		input = NULL;
	if (input && input->type != DROVER_VALUE_OBJECT) {
		report(&c, "%s: expected an object, given %s", c.where, drover_value_type_name(input->type));
		rc = -EINVAL;
	} else {
		rc = check_block(&c, fields, input, NULL, &result);
	}
	if (rc == -ENOMEM)
		drover_errlist_add(errors, "%s: out of memory while checking the configuration", c.where);
	if (rc == 0 && c.failed) {
		drover_value_clear(&result);
		rc = -EINVAL;
	}
	if (rc < 0) {
		*out = (drover_value){.type = DROVER_VALUE_NULL};
		return rc;
	}
	*out = result;
	return 0;
}

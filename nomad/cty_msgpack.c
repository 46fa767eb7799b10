#include "config.h"

#include "cty_msgpack.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* A msgpack reader over one buffer. */
typedef struct reader {
	const uint8_t *p, *end;
	nomad_arena *arena;
	drover_err *err;
	char path[256];
} reader;

typedef enum mp_kind { MP_NIL, MP_BOOL, MP_INT, MP_UINT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY,
	                   MP_MAP, MP_EXT } mp_kind;

typedef struct mp_item {
	mp_kind kind;
	int boolean;
	long long i;
	unsigned long long u;
	double f;
	const char *s; /* MP_STR / MP_BIN: points into the buffer */
	size_t n;      /* string length, array or map count */
} mp_item;

static int fail(reader *r, const char *what)
{
	return drover_err_set(r->err, -EINVAL, "%s: %s", r->path[0] ? r->path : "config", what);
}

static int need(reader *r, size_t n)
{
	return (size_t)(r->end - r->p) >= n ? 0 : fail(r, "truncated msgpack value");
}

static unsigned long long be(const uint8_t *p, int n)
{
	unsigned long long v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int take(reader *r, int n, unsigned long long *v)
{
	if (need(r, (size_t)n) < 0)
		return -EINVAL;
	*v = be(r->p, n);
	r->p += n;
	return 0;
}

static int next(reader *r, mp_item *it)
{
	if (need(r, 1) < 0)
		return -EINVAL;
	uint8_t b = *r->p++;
	unsigned long long v = 0;
	memset(it, 0, sizeof(*it));
	if (b <= 0x7f) {
		it->kind = MP_INT, it->i = b;
	} else if (b >= 0xe0) {
		it->kind = MP_INT, it->i = (int8_t)b;
	} else if ((b & 0xf0) == 0x80) {
		it->kind = MP_MAP, it->n = b & 0x0f;
	} else if ((b & 0xf0) == 0x90) {
		it->kind = MP_ARRAY, it->n = b & 0x0f;
	} else if ((b & 0xe0) == 0xa0) {
		it->kind = MP_STR, it->n = b & 0x1f;
	} else {
		switch (b) {
		case 0xc0: it->kind = MP_NIL; return 0;
		case 0xc2: case 0xc3: it->kind = MP_BOOL, it->boolean = b == 0xc3; return 0;
		case 0xc4: case 0xc5: case 0xc6:
			if (take(r, 1 << (b - 0xc4), &v) < 0) return -EINVAL;
			it->kind = MP_BIN, it->n = v;
			break;
		case 0xd9: case 0xda: case 0xdb:
			if (take(r, 1 << (b - 0xd9), &v) < 0) return -EINVAL;
			it->kind = MP_STR, it->n = v;
			break;
		case 0xca: {
			if (take(r, 4, &v) < 0) return -EINVAL;
			uint32_t u32 = (uint32_t)v;
			float f;
			memcpy(&f, &u32, sizeof(f));
			it->kind = MP_FLOAT, it->f = f;
			return 0;
		}
		case 0xcb: {
			if (take(r, 8, &v) < 0) return -EINVAL;
			double d;
			memcpy(&d, &v, sizeof(d));
			it->kind = MP_FLOAT, it->f = d;
			return 0;
		}
		case 0xcc: case 0xcd: case 0xce: case 0xcf:
			if (take(r, 1 << (b - 0xcc), &v) < 0) return -EINVAL;
			it->kind = MP_UINT, it->u = v;
			return 0;
		case 0xd0: if (take(r, 1, &v) < 0) return -EINVAL; it->kind = MP_INT, it->i = (int8_t)v; return 0;
		case 0xd1: if (take(r, 2, &v) < 0) return -EINVAL; it->kind = MP_INT, it->i = (int16_t)v; return 0;
		case 0xd2: if (take(r, 4, &v) < 0) return -EINVAL; it->kind = MP_INT, it->i = (int32_t)v; return 0;
		case 0xd3: if (take(r, 8, &v) < 0) return -EINVAL; it->kind = MP_INT, it->i = (long long)v; return 0;
		case 0xdc: case 0xdd:
			if (take(r, b == 0xdc ? 2 : 4, &v) < 0) return -EINVAL;
			it->kind = MP_ARRAY, it->n = v;
			break;
		case 0xde: case 0xdf:
			if (take(r, b == 0xde ? 2 : 4, &v) < 0) return -EINVAL;
			it->kind = MP_MAP, it->n = v;
			break;
		case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
			/* fixext: one type byte, then 1..16 bytes */
			it->kind = MP_EXT, it->n = (size_t)1 + (1u << (b - 0xd4));
			break;
		case 0xc7: case 0xc8: case 0xc9:
			if (take(r, 1 << (b - 0xc7), &v) < 0) return -EINVAL;
			it->kind = MP_EXT, it->n = v + 1;
			break;
		default:
			return fail(r, "malformed msgpack (reserved byte)");
		}
	}
	if (it->kind == MP_STR || it->kind == MP_BIN || it->kind == MP_EXT) {
		if (need(r, it->n) < 0)
			return -EINVAL;
		it->s = (const char *)r->p;
		r->p += it->n;
	}
	if ((it->kind == MP_ARRAY || it->kind == MP_MAP) && it->n > (size_t)(r->end - r->p))
		return fail(r, "malformed msgpack (more items than bytes)");
	return 0;
}

static int kind_error(reader *r, const char *expected, const mp_item *it)
{
	static const char *const names[] = {"null", "bool", "number", "number", "number",
		"string", "string", "list", "map or object", "unknown value"};
	char msg[160];
	if (it->kind == MP_EXT)
		snprintf(msg, sizeof(msg), "value is not known yet (an unknown cty value): "
		         "expected %s", expected);
	else
		snprintf(msg, sizeof(msg), "expected %s, got %s", expected, names[it->kind]);
	return fail(r, msg);
}

/* Path helpers: append ".name" or "[i]", restore afterwards. */
static size_t push_key(reader *r, const char *key, size_t klen)
{
	size_t at = strlen(r->path);
	snprintf(r->path + at, sizeof(r->path) - at, "%s%.*s", at ? "." : "", (int)klen, key);
	return at;
}

static size_t push_index(reader *r, size_t i)
{
	size_t at = strlen(r->path);
	snprintf(r->path + at, sizeof(r->path) - at, "[%zu]", i);
	return at;
}

static int decode_any(reader *r, drover_value *out);

static int scalar(reader *r, const mp_item *it, drover_value *out)
{
	switch (it->kind) {
	case MP_NIL: out->type = DROVER_VALUE_NULL; return 0;
	case MP_BOOL: out->type = DROVER_VALUE_BOOL, out->u.boolean = it->boolean; return 0;
	case MP_INT: out->type = DROVER_VALUE_INT, out->u.integer = it->i; return 0;
	case MP_UINT:
		if (it->u <= LLONG_MAX)
			out->type = DROVER_VALUE_INT, out->u.integer = (long long)it->u;
		else
			out->type = DROVER_VALUE_FLOAT, out->u.number = (double)it->u;
		return 0;
	case MP_FLOAT:
		/* cty encodes an integral number as an integer; a float is a fraction
		 * or out of int64 range */
		out->type = DROVER_VALUE_FLOAT, out->u.number = it->f;
		return 0;
	case MP_STR: case MP_BIN: {
		char *s = nomad_arena_strndup(r->arena, it->s, it->n);
		if (!s)
			return drover_err_set(r->err, -ENOMEM, "out of memory");
		out->type = DROVER_VALUE_STRING, out->u.string.ptr = s, out->u.string.len = it->n;
		return 0;
	}
	default:
		return kind_error(r, "a value", it);
	}
}

static int decode_items(reader *r, size_t n, const drover_field *elem_fields, int elem_kind,
                        drover_value *out);
static int decode_object(reader *r, size_t n, const drover_field *fields, int generic,
                         drover_value *out);

static int decode_item(reader *r, const mp_item *it, drover_value *out)
{
	if (it->kind == MP_ARRAY)
		return decode_items(r, it->n, NULL, -1, out);
	if (it->kind == MP_MAP)
		return decode_object(r, it->n, NULL, 1, out);
	return scalar(r, it, out);
}

static int decode_any(reader *r, drover_value *out)
{
	mp_item it;
	if (next(r, &it) < 0)
		return -EINVAL;
	return decode_item(r, &it, out);
}

/* One value of a field of type `type` (nested `fields` for blocks). */
static int decode_field(reader *r, drover_field_type type, const drover_field *fields,
                        drover_value *out)
{
	mp_item it;
	if (next(r, &it) < 0)
		return -EINVAL;
	if (it.kind == MP_NIL) {
		out->type = DROVER_VALUE_NULL;
		return 0;
	}
	switch (type) {
	case DROVER_FIELD_STRING:
		return it.kind == MP_STR ? scalar(r, &it, out) : kind_error(r, "string", &it);
	case DROVER_FIELD_BOOL:
		return it.kind == MP_BOOL ? scalar(r, &it, out) : kind_error(r, "bool", &it);
	case DROVER_FIELD_INT:
		if (it.kind == MP_INT || (it.kind == MP_UINT && it.u <= LLONG_MAX))
			return scalar(r, &it, out);
		if (it.kind == MP_FLOAT || it.kind == MP_UINT || it.kind == MP_STR)
			return fail(r, "expected a whole number that fits in 64 bits");
		return kind_error(r, "number", &it);
	case DROVER_FIELD_FLOAT:
		if (it.kind == MP_INT || it.kind == MP_UINT || it.kind == MP_FLOAT)
			return scalar(r, &it, out);
		if (it.kind == MP_STR)
			return fail(r, "number out of the range of a 64-bit float");
		return kind_error(r, "number", &it);
	case DROVER_FIELD_STRING_LIST:
		if (it.kind != MP_ARRAY)
			return kind_error(r, "list(string)", &it);
		return decode_items(r, it.n, NULL, DROVER_FIELD_STRING, out);
	case DROVER_FIELD_STRING_MAP:
		if (it.kind != MP_MAP)
			return kind_error(r, "map(string)", &it);
		return decode_object(r, it.n, NULL, 0, out);
	case DROVER_FIELD_BLOCK:
		if (it.kind != MP_MAP)
			return kind_error(r, "block", &it);
		return decode_object(r, it.n, fields, 0, out);
	case DROVER_FIELD_BLOCK_LIST:
		if (it.kind != MP_ARRAY)
			return kind_error(r, "list of blocks", &it);
		return decode_items(r, it.n, fields, DROVER_FIELD_BLOCK, out);
	case DROVER_FIELD_ANY:
	default:
		return decode_item(r, &it, out);
	}
}

/* A list; elem_kind -1: elements of any type. */
static int decode_items(reader *r, size_t n, const drover_field *elem_fields, int elem_kind,
                        drover_value *out)
{
	drover_value *items = NOMAD_NEWN(r->arena, drover_value, n);
	if (!items)
		return drover_err_set(r->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t at = push_index(r, i);
		int rc = elem_kind < 0 ? decode_any(r, &items[i])
		                       : decode_field(r, (drover_field_type)elem_kind, elem_fields, &items[i]);
		if (rc == 0 && elem_kind >= 0 && items[i].type == DROVER_VALUE_NULL)
			rc = fail(r, "null is not allowed in a list");
		r->path[at] = '\0';
		if (rc < 0)
			return rc;
	}
	out->type = DROVER_VALUE_ARRAY;
	out->u.array.count = n;
	out->u.array.items = items;
	return 0;
}

/* A map or an object. With `fields`: keys are checked against them and null
 * members dropped; without and !generic: a map(string). */
static int decode_object(reader *r, size_t n, const drover_field *fields, int generic,
                         drover_value *out)
{
	const char **keys = NOMAD_NEWN(r->arena, const char *, n);
	drover_value *values = NOMAD_NEWN(r->arena, drover_value, n);
	if (!keys || !values)
		return drover_err_set(r->err, -ENOMEM, "out of memory");
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		mp_item k;
		if (next(r, &k) < 0)
			return -EINVAL;
		if (k.kind != MP_STR)
			return fail(r, "malformed msgpack (a map key that is not a string)");
		size_t at = push_key(r, k.s, k.n);
		int rc = 0;
		if (fields) {
			const drover_field *f = fields;
			while (f->name && !(strlen(f->name) == k.n && memcmp(f->name, k.s, k.n) == 0))
				f++;
			if (!f->name)
				rc = fail(r, "unknown key: the driver's schema has no such field");
			else
				rc = decode_field(r, f->type, f->fields, &values[kept]);
		} else if (generic) {
			rc = decode_any(r, &values[kept]);
		} else {
			rc = decode_field(r, DROVER_FIELD_STRING, NULL, &values[kept]);
			if (rc == 0 && values[kept].type == DROVER_VALUE_NULL)
				rc = fail(r, "null is not allowed in a map(string)");
		}
		r->path[at] = '\0';
		if (rc < 0)
			return rc;
		if (fields && values[kept].type == DROVER_VALUE_NULL)
			continue;
		keys[kept] = nomad_arena_strndup(r->arena, k.s, k.n);
		if (!keys[kept])
			return drover_err_set(r->err, -ENOMEM, "out of memory");
		kept++;
	}
	out->type = DROVER_VALUE_OBJECT;
	out->u.object.count = kept;
	out->u.object.keys = keys;
	out->u.object.values = values;
	return 0;
}

int nomad_cty_decode(const uint8_t *buf, size_t len, const drover_field *fields,
                     nomad_arena *arena, drover_value *out, drover_err *err)
{
	static const drover_field none[] = {DROVER_FIELD_END};
	reader r = {.p = buf, .end = buf + len, .arena = arena, .err = err};
	if (len == 0) {
		*out = (drover_value){.type = DROVER_VALUE_OBJECT};
		return 0;
	}
	drover_value v = {.type = DROVER_VALUE_NULL};
	int rc = decode_field(&r, DROVER_FIELD_BLOCK, fields ? fields : none, &v);
	if (rc < 0)
		return rc;
	if (r.p != r.end)
		return fail(&r, "malformed msgpack (bytes after the value)");
	if (v.type == DROVER_VALUE_NULL)
		v = (drover_value){.type = DROVER_VALUE_OBJECT};
	*out = v;
	return 0;
}

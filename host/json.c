#include "config.h"

#include "json.h"
#include "value_tree.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_BYTES ((size_t)64 * 1024 * 1024)
/* A value costs 32 bytes of tree plus its string: 64 MiB of "a", is 12 million
 * values and gigabytes once checked and copied. Far above any real job. */
#define JSON_MAX_VALUES ((size_t)2000000)
/* Objects with more keys than this get a hash index for the duplicate check, so
 * a huge object cannot make parsing quadratic. */
#define JSON_HASH_THRESHOLD 32

/* One array or object under construction. */
typedef struct frame {
	int is_object;
	drover_value *items;
	char **keys;
	size_t count;
	size_t cap;
	char *pending_key;
	size_t *slots; /* open addressing: index + 1 of a key, 0 = empty */
	size_t slot_cap;
} frame;

typedef enum where_kind {
	AT_CONSUMED,     /* the error is at the last byte consumed */
	AT_STRING_START, /* the last token was a string: point at its opening quote */
	AT_TOKEN_START,  /* the last token was token_len bytes long: point at its start */
} where_kind;

typedef struct parser {
	frame stack[JSON_MAX_DEPTH];
	size_t depth;
	drover_value root;
	int have_root;
	int code;
	char message[300];
	where_kind where;
	size_t token_len;
	size_t values;
} parser;

static void frame_clear(frame *f)
{
	for (size_t i = 0; i < f->count; i++) {
		drover_value_clear(&f->items[i]);
		if (f->keys)
			free(f->keys[i]);
	}
	free(f->items);
	free(f->keys);
	free(f->pending_key);
	free(f->slots);
	memset(f, 0, sizeof(*f));
}

static int fail(parser *p, int code, where_kind where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(parser *p, int code, where_kind where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
	p->code = code;
	p->where = where;
	return 0; /* what a yajl callback returns to stop the parse */
}

static size_t hash_key(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static void slots_insert(frame *f, size_t index)
{
	const char *k = f->keys[index];
	size_t mask = f->slot_cap - 1;
	size_t i = hash_key(k, strlen(k)) & mask;
	while (f->slots[i])
		i = (i + 1) & mask;
	f->slots[i] = index + 1;
}

static int slots_rebuild(frame *f, size_t cap)
{
	size_t *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(f->slots);
	f->slots = slots;
	f->slot_cap = cap;
	for (size_t i = 0; i < f->count; i++)
		slots_insert(f, i);
	return 0;
}

static int frame_has_key(const frame *f, const char *key, size_t len)
{
	if (!f->slots) {
		for (size_t i = 0; i < f->count; i++)
			if (strlen(f->keys[i]) == len && memcmp(f->keys[i], key, len) == 0)
				return 1;
		return 0;
	}
	size_t mask = f->slot_cap - 1;
	for (size_t i = hash_key(key, len) & mask; f->slots[i]; i = (i + 1) & mask) {
		const char *k = f->keys[f->slots[i] - 1];
		if (strlen(k) == len && memcmp(k, key, len) == 0)
			return 1;
	}
	return 0;
}

/* Hands `v` to the container being built (or makes it the document); takes
 * ownership of v in every case. Returns 1 to go on, 0 to stop the parse. */
static int add_value(parser *p, drover_value *v)
{
	if (++p->values > JSON_MAX_VALUES) {
		drover_value_clear(v);
		return fail(p, -E2BIG, AT_CONSUMED,
		            "the document holds more than %zu values (strings, numbers, arrays, objects...), "
		            "the most drover reads",
		            JSON_MAX_VALUES);
	}
	if (p->depth == 0) {
		p->root = *v;
		p->have_root = 1;
		return 1;
	}
	frame *f = &p->stack[p->depth - 1];
	if (f->count == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		drover_value *items = realloc(f->items, cap * sizeof(*items));
		if (items)
			f->items = items;
		char **keys = NULL;
		if (items && f->is_object) {
			keys = realloc(f->keys, cap * sizeof(*keys));
			if (keys)
				f->keys = keys;
		}
		if (!items || (f->is_object && !keys)) {
			drover_value_clear(v);
			return fail(p, -ENOMEM, AT_CONSUMED, "out of memory");
		}
		f->cap = cap;
	}
	f->items[f->count] = *v;
	if (f->is_object) {
		f->keys[f->count] = f->pending_key;
		f->pending_key = NULL;
	}
	f->count++;
	if (f->is_object && f->count >= JSON_HASH_THRESHOLD) {
		int rc = 0;
		if (!f->slots || f->count * 2 > f->slot_cap)
			rc = slots_rebuild(f, f->slot_cap ? f->slot_cap * 2 : JSON_HASH_THRESHOLD * 4);
		else
			slots_insert(f, f->count - 1);
		if (rc < 0)
			return fail(p, rc, AT_CONSUMED, "out of memory");
	}
	return 1;
}

static int on_null(void *ctx)
{
	drover_value v = {.type = DROVER_VALUE_NULL};
	return add_value(ctx, &v);
}

static int on_boolean(void *ctx, int b)
{
	drover_value v = {.type = DROVER_VALUE_BOOL};
	v.u.boolean = b ? 1 : 0;
	return add_value(ctx, &v);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	parser *p = ctx;
	char small[64];
	char *buf = len < sizeof(small) ? small : malloc(len + 1);
	if (!buf)
		return fail(p, -ENOMEM, AT_CONSUMED, "out of memory");
	memcpy(buf, s, len);
	buf[len] = '\0';
	drover_value v = {.type = DROVER_VALUE_INT};
	int ok = 1;
	if (!strpbrk(buf, ".eE")) {
		errno = 0;
		v.u.integer = strtoll(buf, NULL, 10);
		if (errno == ERANGE)
			v.type = DROVER_VALUE_FLOAT;
	} else {
		v.type = DROVER_VALUE_FLOAT;
	}
	if (v.type == DROVER_VALUE_FLOAT) {
		v.u.number = strtod(buf, NULL);
		if (!isfinite(v.u.number)) {
			p->token_len = len;
			ok = fail(p, -EINVAL, AT_TOKEN_START, "the number %.40s%s is too large to represent",
			          buf, len > 40 ? "..." : "");
		}
	}
	if (buf != small)
		free(buf);
	return ok ? add_value(p, &v) : 0;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	parser *p = ctx;
	if (memchr(s, '\0', len))
		return fail(p, -EINVAL, AT_STRING_START,
		            "a string contains a NUL character (\\u0000), which drover cannot pass on; remove it");
	char *copy = malloc(len + 1);
	if (!copy)
		return fail(p, -ENOMEM, AT_CONSUMED, "out of memory");
	memcpy(copy, s, len);
	copy[len] = '\0';
	drover_value v = {.type = DROVER_VALUE_STRING};
	v.u.string.ptr = copy;
	v.u.string.len = len;
	return add_value(p, &v);
}

static int push(parser *p, int is_object)
{
	if (p->depth == JSON_MAX_DEPTH)
		return fail(p, -EINVAL, AT_CONSUMED,
		            "nesting deeper than %d levels of arrays and objects is refused", JSON_MAX_DEPTH);
	frame *f = &p->stack[p->depth++];
	memset(f, 0, sizeof(*f));
	f->is_object = is_object;
	return 1;
}

static int pop(parser *p)
{
	frame *f = &p->stack[p->depth - 1];
	drover_value v = {.type = f->is_object ? DROVER_VALUE_OBJECT : DROVER_VALUE_ARRAY};
	if (f->is_object) {
		v.u.object.count = f->count;
		v.u.object.keys = (const char *const *)f->keys;
		v.u.object.values = f->items;
	} else {
		v.u.array.count = f->count;
		v.u.array.items = f->items;
	}
	/* the value now owns the blocks; only the index is the frame's own */
	free(f->slots);
	free(f->pending_key);
	memset(f, 0, sizeof(*f));
	p->depth--;
	return add_value(p, &v);
}

static int on_start_map(void *ctx)
{
	return push(ctx, 1);
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	parser *p = ctx;
	frame *f = &p->stack[p->depth - 1];
	if (memchr(key, '\0', len))
		return fail(p, -EINVAL, AT_STRING_START,
		            "an object key contains a NUL character (\\u0000), which drover cannot pass on; remove it");
	if (frame_has_key(f, (const char *)key, len))
		return fail(p, -EINVAL, AT_STRING_START,
		            "duplicate key \"%.*s\" in one object; keep only one of them",
		            (int)(len > 100 ? 100 : len), key);
	free(f->pending_key);
	f->pending_key = strndup((const char *)key, len);
	if (!f->pending_key)
		return fail(p, -ENOMEM, AT_CONSUMED, "out of memory");
	return 1;
}

static int on_end(void *ctx)
{
	return pop(ctx);
}

static int on_start_array(void *ctx)
{
	return push(ctx, 0);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

/* Offset of the opening quote of the string that ends just before `end`. */
static size_t string_start(const char *text, size_t end)
{
	if (end == 0)
		return 0;
	size_t i = end - 1; /* the closing quote */
	while (i > 0) {
		i--;
		if (text[i] != '"')
			continue;
		size_t backslashes = 0;
		while (backslashes < i && text[i - 1 - backslashes] == '\\')
			backslashes++;
		if (backslashes % 2 == 0)
			return i;
	}
	return 0;
}

static void line_column(const char *text, size_t offset, size_t *line, size_t *column)
{
	size_t l = 1, c = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*column = c;
}

/* yajl's message is "parse error: what\n" or "lexical error: what\n". */
static void yajl_message(yajl_handle h, const char *text, size_t len, char *buf, size_t size)
{
	unsigned char *raw = yajl_get_error(h, 0, (const unsigned char *)text, len);
	const char *msg = raw ? (const char *)raw : "malformed JSON";
	const char *colon = strstr(msg, "error: ");
	if (colon)
		msg = colon + strlen("error: ");
	snprintf(buf, size, "%s", msg);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (raw)
		yajl_free_error(h, raw);
}

static int only_space(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || text[i] == '\0')
			return 0;
	return 1;
}

/* What yajl lets through although RFC 8259 does not: \f and \v as whitespace,
 * overlong UTF-8, encoded surrogates, code points above U+10FFFF, and \u escapes
 * of surrogates that do not pair (yajl turns a lone one into '?' and an
 * ill-ordered pair into CESU-8 bytes). One linear pass that stops at the first
 * problem: 0, or -EINVAL with *offset at the offending byte and `msg` filled.
 * Anything else malformed is yajl's to report. */
static int hex4(const char *s, size_t left, unsigned *out)
{
	unsigned v = 0;
	if (left < 4)
		return 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t left, const char **why)
{
	unsigned char b = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (b >= 0xC2 && b <= 0xDF) {
		n = 2;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else {
		*why = b == 0xC0 || b == 0xC1 ? "an overlong UTF-8 encoding"
		       : b >= 0xF5            ? "a UTF-8 byte that would encode a code point above U+10FFFF"
		                              : "a UTF-8 continuation byte without a leading byte";
		return 0;
	}
	if (left < n) {
		*why = "a UTF-8 sequence cut short";
		return 0;
	}
	if (s[1] < lo || s[1] > hi) {
		if (b == 0xE0 || b == 0xF0)
			*why = s[1] >= 0x80 && s[1] < lo ? "an overlong UTF-8 encoding" : "invalid UTF-8";
		else if (b == 0xED && s[1] > hi && s[1] <= 0xBF)
			*why = "an encoded UTF-16 surrogate (CESU-8), which is not UTF-8";
		else if (b == 0xF4 && s[1] > hi && s[1] <= 0xBF)
			*why = "a code point above U+10FFFF";
		else
			*why = "invalid UTF-8";
		return 0;
	}
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF) {
			*why = "invalid UTF-8";
			return 0;
		}
	}
	return n;
}

static int check_text(const char *text, size_t len, size_t *offset, char *msg, size_t size)
{
	const unsigned char *s = (const unsigned char *)text;
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = s[i];
		if (!in_string) {
			if (b == '"') {
				in_string = 1;
			} else if (b == '\f' || b == '\v') {
				*offset = i;
				snprintf(msg, size, "a %s (\\%c) is not JSON whitespace; use spaces, tabs or newlines",
				         b == '\f' ? "form feed" : "vertical tab", b == '\f' ? 'f' : 'v');
				return -EINVAL;
			}
			continue;
		}
		if (b == '"') {
			in_string = 0;
		} else if (b == '\\' && i + 1 < len && s[i + 1] == 'u') {
			unsigned cu, low;
			if (!hex4(text + i + 2, len - i - 2, &cu)) {
				i++;
				continue; /* yajl reports the malformed escape */
			}
			if (cu >= 0xDC00 && cu <= 0xDFFF) {
				*offset = i;
				snprintf(msg, size, "the escape \\u%04X is a low surrogate without a high surrogate before it; "
				         "a character above U+FFFF is written as a pair such as \\uD83D\\uDE00", cu);
				return -EINVAL;
			}
			if (cu >= 0xD800 && cu <= 0xDBFF) {
				if (i + 7 >= len || s[i + 6] != '\\' || s[i + 7] != 'u' ||
				    !hex4(text + i + 8, len - i - 8, &low) || low < 0xDC00 || low > 0xDFFF) {
					*offset = i;
					snprintf(msg, size, "the escape \\u%04X is a high surrogate not followed by a low surrogate "
					         "(\\uDC00 to \\uDFFF)", cu);
					return -EINVAL;
				}
				i += 11;
			} else {
				i += 5;
			}
		} else if (b == '\\') {
			i++;
		} else if (b >= 0x80) {
			const char *why = "invalid UTF-8";
			size_t n = utf8_sequence(s + i, len - i, &why);
			if (!n) {
				*offset = i;
				snprintf(msg, size, "a string holds %s (byte 0x%02X); JSON text must be valid UTF-8", why, b);
				return -EINVAL;
			}
			i += n - 1;
		}
	}
	return 0;
}

static void parser_clear(parser *p)
{
	while (p->depth)
		frame_clear(&p->stack[--p->depth]);
	drover_value_clear(&p->root);
	p->have_root = 0;
}

int drover_json_parse(const char *source, const char *text, size_t len, drover_value *out,
                      drover_err *err)
{
	if (!source)
		source = "<input>";
	if (len > JSON_MAX_BYTES)
		return drover_err_set(err, -EFBIG, "%s: the document is %zu bytes, more than the 64 MiB drover accepts",
		                      source, len);
	parser *p = calloc(1, sizeof(*p));
	if (!p)
		return drover_err_set(err, -ENOMEM, "%s: out of memory", source);
	yajl_handle h = yajl_alloc(&callbacks, NULL, p);
	if (!h) {
		free(p);
		return drover_err_set(err, -ENOMEM, "%s: out of memory", source);
	}
	size_t bad_offset = len;
	char bad_msg[200] = "";
	int bad = check_text(text, len, &bad_offset, bad_msg, sizeof(bad_msg)) < 0;
	/* Parse only up to the first byte the check refuses, so that a syntax
	 * error before it is reported first and nothing after it is built. */
	size_t parse_len = bad ? bad_offset : len;
	yajl_status st = yajl_parse(h, (const unsigned char *)text, parse_len);
	size_t offset = yajl_get_bytes_consumed(h);
	int at_end = 0;
	if (st == yajl_status_ok && !bad) {
		st = yajl_complete_parse(h);
		at_end = 1; /* what goes wrong now is the end of the text */
	}
	int rc = 0;
	if (bad && (st == yajl_status_ok || (st == yajl_status_error && offset >= bad_offset))) {
		size_t line, col;
		line_column(text, bad_offset, &line, &col);
		rc = drover_err_set(err, -EINVAL, "%s:%zu:%zu: %s", source, line, col, bad_msg);
	} else if (st == yajl_status_client_canceled) {
		size_t where = offset;
		if (p->where == AT_STRING_START)
			where = string_start(text, offset);
		else if (p->where == AT_TOKEN_START)
			where = offset >= p->token_len ? offset - p->token_len : 0;
		else if (where > 0)
			where--;
		size_t line, col;
		line_column(text, where, &line, &col);
		rc = drover_err_set(err, p->code ? p->code : -EINVAL, "%s:%zu:%zu: %s", source, line, col,
		                    p->message);
	} else if (st != yajl_status_ok) {
		char msg[256];
		yajl_message(h, text, len, msg, sizeof(msg));
		size_t line, col;
		/* yajl stops one byte past the character it could not take */
		line_column(text, at_end ? len : (offset ? offset - 1 : 0), &line, &col);
		if (at_end && p->depth)
			snprintf(msg, sizeof(msg), "the document ends before an %s is closed",
			         p->stack[p->depth - 1].is_object ? "object" : "array");
		else if (at_end && only_space(text, len))
			snprintf(msg, sizeof(msg), "the document is empty; expected a JSON value");
		else if (at_end)
			snprintf(msg, sizeof(msg), "the document ends in the middle of a value");
		rc = drover_err_set(err, -EINVAL, "%s:%zu:%zu: %s", source, line, col, msg);
	}
	yajl_free(h);
	if (rc == 0 && !p->have_root) {
		size_t line, col;
		line_column(text, len, &line, &col);
		rc = drover_err_set(err, -EINVAL, "%s:%zu:%zu: the document is empty; expected a JSON value",
		                    source, line, col);
	}
	if (rc == 0) {
		*out = p->root;
		p->have_root = 0;
		memset(&p->root, 0, sizeof(p->root));
	}
	parser_clear(p);
	free(p);
	return rc;
}

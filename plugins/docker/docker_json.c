/* JSON helpers of the docker driver (see docker_json.h). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_json.h"

/* The deepest nesting of arrays and objects outside strings, stopping as soon
 * as it passes `limit`. Malformed text is yajl's to refuse; this only has to
 * count what yajl would nest. */
static size_t json_depth(const char *text, size_t len, size_t limit)
{
	size_t depth = 0, deepest = 0;
	int in_string = 0;

	for (size_t i = 0; i < len && deepest <= limit; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > deepest)
				deepest = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}

int docker_json_parse(const char *text, size_t len, const char *what, yajl_val *out,
                      drover_err *err)
{
	char errbuf[256] = "";
	char *copy;
	yajl_val v;

	/* yajl_tree_parse has no depth limit and yajl_tree_free recurses: a
	 * daemon (or a config file, or a credential helper) that answers with
	 * 200,000 nested arrays would overflow the stack of whichever thread
	 * reads it. The job parser's limit applies to everything drover reads. */
	if (json_depth(text, len, DOCKER_JSON_MAX_DEPTH) > DOCKER_JSON_MAX_DEPTH)
		return drover_err_set(err, -EPROTO,
		                      "%s is refused: it nests arrays and objects deeper than %d levels",
		                      what, DOCKER_JSON_MAX_DEPTH);

	/* yajl_tree_parse wants a C string; daemon answers are not terminated. */
	copy = malloc(len + 1);
	if (!copy)
		return drover_err_set(err, -ENOMEM, "out of memory reading %s", what);
	memcpy(copy, text, len);
	copy[len] = '\0';
	v = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
	free(copy);
	if (!v) {
		char *nl = strchr(errbuf, '\n');
		if (nl)
			*nl = '\0';
		return drover_err_set(err, -EPROTO, "%s is not valid JSON: %s", what,
		                      errbuf[0] ? errbuf : "parse error");
	}
	*out = v;
	return 0;
}

static yajl_val at_va(yajl_val v, va_list ap)
{
	const char *key;

	while ((key = va_arg(ap, const char *)) != NULL) {
		size_t i;
		yajl_val next = NULL;

		if (!v || !YAJL_IS_OBJECT(v))
			return NULL;
		for (i = 0; i < v->u.object.len; i++)
			if (strcmp(v->u.object.keys[i], key) == 0) {
				next = v->u.object.values[i];
				break;
			}
		v = next;
	}
	return v;
}

yajl_val docker_json_at(yajl_val v, ...)
{
	va_list ap;
	va_start(ap, v);
	v = at_va(v, ap);
	va_end(ap);
	return v;
}

const char *docker_json_str(yajl_val v, ...)
{
	va_list ap;
	va_start(ap, v);
	v = at_va(v, ap);
	va_end(ap);
	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int docker_json_int(long long *out, yajl_val v, ...)
{
	va_list ap;
	va_start(ap, v);
	v = at_va(v, ap);
	va_end(ap);
	if (!YAJL_IS_INTEGER(v))
		return -ENOENT;
	*out = v->u.number.i;
	return 0;
}

int docker_json_bool(yajl_val v, ...)
{
	va_list ap;
	va_start(ap, v);
	v = at_va(v, ap);
	va_end(ap);
	return YAJL_IS_TRUE(v);
}

int docker_gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

int docker_gen_key(yajl_gen g, const char *key)
{
	return docker_gen_str(g, key);
}

int docker_gen_key_str(yajl_gen g, const char *key, const char *value)
{
	return docker_gen_str(g, key) | docker_gen_str(g, value);
}

int docker_gen_key_int(yajl_gen g, const char *key, long long value)
{
	return docker_gen_str(g, key) | yajl_gen_integer(g, value);
}

int docker_gen_key_bool(yajl_gen g, const char *key, int value)
{
	return docker_gen_str(g, key) | yajl_gen_bool(g, value);
}

char *docker_gen_take(yajl_gen g, size_t *len)
{
	const unsigned char *buf;
	size_t n;
	char *s;

	if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
		return NULL;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, buf, n);
	s[n] = '\0';
	if (len)
		*len = n;
	return s;
}

char *docker_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(3 * n + 1);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return out;
}

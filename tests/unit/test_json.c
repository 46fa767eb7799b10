#include <errno.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "value_tree.h"

static int parse(const char *text, drover_value *out, drover_err *err)
{
	return drover_json_parse("doc.json", text, strlen(text), out, err);
}

/* Parses text that must be refused and returns the message. */
static const char *refused(const char *text, drover_err *err)
{
	drover_value v = {.type = DROVER_VALUE_STRING}; /* must stay untouched */
	int rc = parse(text, &v, err);
	cr_assert_eq(rc, -EINVAL, "expected %s to be refused, got %d", text, rc);
	cr_assert_eq(v.type, DROVER_VALUE_STRING, "output changed on failure");
	return err->message;
}

static int values_equal(const drover_value *a, const drover_value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case DROVER_VALUE_NULL:
		return 1;
	case DROVER_VALUE_BOOL:
		return a->u.boolean == b->u.boolean;
	case DROVER_VALUE_INT:
		return a->u.integer == b->u.integer;
	case DROVER_VALUE_FLOAT:
		return a->u.number == b->u.number;
	case DROVER_VALUE_STRING:
		return a->u.string.len == b->u.string.len &&
		       memcmp(a->u.string.ptr, b->u.string.ptr, a->u.string.len) == 0;
	case DROVER_VALUE_ARRAY:
		if (a->u.array.count != b->u.array.count)
			return 0;
		for (size_t i = 0; i < a->u.array.count; i++)
			if (!values_equal(&a->u.array.items[i], &b->u.array.items[i]))
				return 0;
		return 1;
	case DROVER_VALUE_OBJECT:
		if (a->u.object.count != b->u.object.count)
			return 0;
		for (size_t i = 0; i < a->u.object.count; i++)
			if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
			    !values_equal(&a->u.object.values[i], &b->u.object.values[i]))
				return 0;
		return 1;
	}
	return 0;
}

static char *write_to_string(const drover_value *v, int pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(drover_json_write(f, v, pretty), 0);
	fclose(f);
	return buf;
}

Test(json, every_value_type)
{
	const char *text = "{\"n\": null, \"t\": true, \"f\": false, \"i\": -42,"
	                   " \"max\": 9223372036854775807, \"min\": -9223372036854775808,"
	                   " \"over\": 9223372036854775808, \"fl\": 1.5, \"exp\": 1e3,"
	                   " \"s\": \"caf\\u00e9\\n\\\"q\\\"\", \"a\": [1, \"x\", []], \"o\": {\"k\": {}}}";
	drover_value v = {0};
	drover_err err = {{0}};
	cr_assert_eq(parse(text, &v, &err), 0, "%s", err.message);
	cr_assert_eq(v.type, DROVER_VALUE_OBJECT);
	cr_assert_eq(v.u.object.count, 12);
	/* keys keep the order of the file */
	cr_assert_str_eq(v.u.object.keys[0], "n");
	cr_assert_str_eq(v.u.object.keys[11], "o");
	cr_assert_eq(drover_value_get(&v, "n")->type, DROVER_VALUE_NULL);
	cr_assert_eq(drover_value_get_bool(&v, "t", 0), 1);
	cr_assert_eq(drover_value_get(&v, "f")->type, DROVER_VALUE_BOOL);
	cr_assert_eq(drover_value_get_bool(&v, "f", 1), 0);
	cr_assert_eq(drover_value_get_int(&v, "i", 0), -42);
	cr_assert_eq(drover_value_get_int(&v, "max", 0), LLONG_MAX);
	cr_assert_eq(drover_value_get_int(&v, "min", 0), LLONG_MIN);
	const drover_value *over = drover_value_get(&v, "over");
	cr_assert_eq(over->type, DROVER_VALUE_FLOAT, "an integer beyond long long becomes a float");
	cr_assert_float_eq(over->u.number, 9223372036854775808.0, 1.0);
	cr_assert_eq(drover_value_get(&v, "fl")->type, DROVER_VALUE_FLOAT);
	cr_assert_float_eq(drover_value_get(&v, "fl")->u.number, 1.5, 1e-12);
	cr_assert_eq(drover_value_get(&v, "exp")->type, DROVER_VALUE_FLOAT, "1e3 is written as a float");
	const drover_value *s = drover_value_get(&v, "s");
	cr_assert_eq(s->type, DROVER_VALUE_STRING);
	cr_assert_str_eq(s->u.string.ptr, "caf\xc3\xa9\n\"q\"");
	cr_assert_eq(s->u.string.len, strlen("caf\xc3\xa9\n\"q\""));
	const drover_value *a = drover_value_get(&v, "a");
	cr_assert_eq(a->type, DROVER_VALUE_ARRAY);
	cr_assert_eq(a->u.array.count, 3);
	cr_assert_eq(a->u.array.items[0].u.integer, 1);
	cr_assert_str_eq(a->u.array.items[1].u.string.ptr, "x");
	cr_assert_eq(a->u.array.items[2].type, DROVER_VALUE_ARRAY);
	cr_assert_eq(a->u.array.items[2].u.array.count, 0);
	const drover_value *k = drover_value_get(drover_value_get(&v, "o"), "k");
	cr_assert_eq(k->type, DROVER_VALUE_OBJECT);
	cr_assert_eq(k->u.object.count, 0);
	drover_value_clear(&v);
	cr_assert_eq(v.type, DROVER_VALUE_NULL);
}

Test(json, scalar_documents)
{
	drover_value v = {0};
	drover_err err = {{0}};
	cr_assert_eq(parse("  \"just a string\"\n", &v, &err), 0, "%s", err.message);
	cr_assert_str_eq(v.u.string.ptr, "just a string");
	drover_value_clear(&v);
	cr_assert_eq(parse("7", &v, &err), 0, "%s", err.message);
	cr_assert_eq(v.type, DROVER_VALUE_INT);
	cr_assert_eq(v.u.integer, 7);
	cr_assert_eq(parse("null", &v, &err), 0, "%s", err.message);
	cr_assert_eq(v.type, DROVER_VALUE_NULL);
}

Test(json, syntax_error_line_and_column)
{
	drover_err err = {{0}};
	/* the '@' is on line 3, column 6 */
	const char *msg = refused("{\n  \"k\": [1, 2,\n   3 @ ]\n}\n", &err);
	cr_assert(strncmp(msg, "doc.json:3:6: ", 14) == 0, "got: %s", msg);
	/* trailing comma: the '}' is at line 2, column 9 */
	msg = refused("{\"a\": 1,\n \"b\": 2,}", &err);
	cr_assert(strncmp(msg, "doc.json:2:9: ", 14) == 0, "got: %s", msg);
	cr_assert(strstr(msg, "object key"), "says what is wrong: %s", msg);
}

Test(json, truncated_empty_and_trailing_documents)
{
	drover_err err = {{0}};
	const char *msg = refused("{\"a\": [1,\n 2", &err);
	cr_assert(strstr(msg, "doc.json:2:3: "), "position is the end of the text: %s", msg);
	cr_assert(strstr(msg, "not closed") || strstr(msg, "ends before"), "got: %s", msg);
	msg = refused("  \n  ", &err);
	cr_assert(strstr(msg, "empty"), "got: %s", msg);
	msg = refused("[1] x", &err);
	cr_assert(strstr(msg, "doc.json:1:5: "), "points at the garbage: %s", msg);
	cr_assert(strstr(msg, "trailing garbage"), "got: %s", msg);
}

Test(json, duplicate_key_is_named_with_its_position)
{
	drover_err err = {{0}};
	const char *msg = refused("{\n  \"Name\": \"a\",\n  \"Name\": \"b\"\n}", &err);
	cr_assert(strncmp(msg, "doc.json:3:3: ", 14) == 0, "points at the second key: %s", msg);
	cr_assert(strstr(msg, "duplicate key \"Name\""), "names the key: %s", msg);
	/* the same key in different objects is fine */
	drover_value v = {0};
	cr_assert_eq(parse("[{\"a\": 1}, {\"a\": 2}]", &v, &err), 0, "%s", err.message);
	drover_value_clear(&v);
}

Test(json, duplicate_key_in_a_large_object)
{
	/* past the point where the parser indexes keys by hash */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fputs("{", f);
	for (int i = 0; i < 500; i++)
		fprintf(f, "\"key%d\": %d, ", i, i);
	fputs("\"key123\": 0}", f);
	fclose(f);
	drover_err err = {{0}};
	const char *msg = refused(text, &err);
	cr_assert(strstr(msg, "duplicate key \"key123\""), "got: %s", msg);
	/* and without the duplicate all 500 keys are there */
	strcpy(strstr(text, ", \"key123\": 0}"), "}");
	drover_value v = {0};
	cr_assert_eq(parse(text, &v, &err), 0, "%s", err.message);
	cr_assert_eq(v.u.object.count, 500);
	cr_assert_eq(drover_value_get_int(&v, "key499", -1), 499);
	drover_value_clear(&v);
	free(text);
}

static char *nested_arrays(int depth)
{
	char *s = malloc((size_t)depth * 2 + 1);
	memset(s, '[', (size_t)depth);
	memset(s + depth, ']', (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

Test(json, depth_limit_is_64)
{
	drover_value v = {0};
	drover_err err = {{0}};
	char *ok = nested_arrays(64);
	cr_assert_eq(parse(ok, &v, &err), 0, "64 levels are allowed: %s", err.message);
	drover_value_clear(&v);
	char *deep = nested_arrays(65);
	const char *msg = refused(deep, &err);
	cr_assert(strstr(msg, "doc.json:1:65: "), "points at the 65th bracket: %s", msg);
	cr_assert(strstr(msg, "64"), "says the limit: %s", msg);
	free(ok);
	free(deep);
	/* a hostile document far deeper than the limit is refused, not a crash */
	char *hostile = nested_arrays(100000);
	refused(hostile, &err);
	free(hostile);
}

Test(json, nul_in_strings_and_keys_is_refused)
{
	drover_err err = {{0}};
	const char *msg = refused("{\"a\": \"x\\u0000y\"}", &err);
	cr_assert(strstr(msg, "doc.json:1:7: "), "points at the string: %s", msg);
	cr_assert(strstr(msg, "NUL"), "says why: %s", msg);
	msg = refused("{\"a\\u0000b\": 1}", &err);
	cr_assert(strstr(msg, "NUL") && strstr(msg, "key"), "got: %s", msg);
}

Test(json, invalid_utf8_and_huge_numbers)
{
	drover_err err = {{0}};
	refused("\"\xff\xfe\"", &err);
	const char *msg = refused("[1e999]", &err);
	cr_assert(strstr(msg, "doc.json:1:2: "), "points at the number: %s", msg);
	cr_assert(strstr(msg, "1e999"), "quotes it: %s", msg);
}

Test(json, size_limit_64_mib)
{
	size_t len = (size_t)64 * 1024 * 1024 + 1;
	char *text = malloc(len);
	cr_assert_not_null(text);
	memset(text, ' ', len);
	text[0] = '1';
	drover_value v = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_json_parse("big.json", text, len, &v, &err), -EFBIG);
	cr_assert(strstr(err.message, "big.json") && strstr(err.message, "64 MiB"), "got: %s",
	          err.message);
	/* one byte less is accepted */
	cr_assert_eq(drover_json_parse("big.json", text, len - 1, &v, &err), 0, "%s", err.message);
	cr_assert_eq(v.u.integer, 1);
	free(text);

	char path[] = "/tmp/drover-test-json-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "[1]", 3), 3);
	cr_assert_eq(ftruncate(fd, (off_t)len), 0); /* sparse: NUL bytes past the limit */
	close(fd);
	cr_assert_eq(drover_json_parse_file(path, &v, &err), -EFBIG);
	cr_assert(strstr(err.message, path) && strstr(err.message, "64 MiB"), "got: %s", err.message);
	unlink(path);
}

Test(json, parse_file_reports_the_path)
{
	drover_value v = {0};
	drover_err err = {{0}};
	cr_assert_eq(drover_json_parse_file("/nonexistent/drover/job.json", &v, &err), -ENOENT);
	cr_assert(strstr(err.message, "\"/nonexistent/drover/job.json\""), "got: %s", err.message);
	cr_assert_eq(drover_json_parse_file("/tmp", &v, &err), -EISDIR);
	cr_assert(strstr(err.message, "directory"), "got: %s", err.message);

	char path[] = "/tmp/drover-test-json-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *text = "{\n  \"a\": 1\n  \"b\": 2\n}\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(drover_json_parse_file(path, &v, &err), -EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "%s:3:", path);
	cr_assert(strncmp(err.message, want, strlen(want)) == 0, "got: %s", err.message);
	unlink(path);
}

Test(json, round_trip_parse_write_parse)
{
	const char *text = "{\"job\": {\"ID\": \"web\", \"n\": [0, -1, 9223372036854775807, 0.1, 1.0,"
	                   " -2.5e-300, 1e300], \"s\": \"tab\\t\\u00e9 \\\"quote\\\" back\\\\slash\\u001f\","
	                   " \"e\": {}, \"l\": [], \"b\": [true, false, null]}}";
	drover_value a = {0}, b = {0}, c = {0};
	drover_err err = {{0}};
	cr_assert_eq(parse(text, &a, &err), 0, "%s", err.message);
	for (int pretty = 0; pretty <= 1; pretty++) {
		char *out = write_to_string(&a, pretty);
		cr_assert_eq(parse(out, &b, &err), 0, "written JSON reparses: %s\n%s", err.message, out);
		cr_assert(values_equal(&a, &b), "round trip changed the value:\n%s", out);
		drover_value_clear(&b);
		if (pretty)
			cr_assert(strstr(out, "\n  \"job\": {\n    \"ID\": \"web\""), "two-space indent:\n%s",
			          out);
		else
			cr_assert_null(strchr(out, '\n'), "compact output is one line: %s", out);
		free(out);
	}
	/* a float that happens to be whole stays a float */
	const drover_value *n = drover_value_get(drover_value_get(&a, "job"), "n");
	cr_assert_eq(n->u.array.items[4].type, DROVER_VALUE_FLOAT);
	/* and a copy is equal and independent */
	cr_assert_eq(drover_value_copy(&c, &a), 0);
	cr_assert(values_equal(&a, &c));
	drover_value_clear(&a);
	char *out = write_to_string(&c, 0);
	cr_assert(strstr(out, "\"ID\":\"web\""), "copy survives the original: %s", out);
	free(out);
	drover_value_clear(&c);
}

Test(json, writer_refuses_non_finite_numbers)
{
	drover_value v = {.type = DROVER_VALUE_FLOAT};
	v.u.number = NAN;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_eq(drover_json_write(f, &v, 0), -EINVAL);
	fclose(f);
	free(buf);
}

Test(json, type_names_read_well)
{
	cr_assert_str_eq(drover_value_type_name(DROVER_VALUE_STRING), "string");
	cr_assert_str_eq(drover_value_type_name(DROVER_VALUE_BOOL), "boolean");
	cr_assert_str_eq(drover_value_type_name(DROVER_VALUE_INT), "integer");
	cr_assert_str_eq(drover_value_type_name(DROVER_VALUE_FLOAT), "float");
	cr_assert_str_eq(drover_value_type_name(DROVER_VALUE_ARRAY), "array");
	cr_assert_str_eq(drover_value_type_name(DROVER_VALUE_OBJECT), "object");
	cr_assert_str_eq(drover_value_type_name(DROVER_VALUE_NULL), "null");
}

/* JSONTestSuite n_structure_whitespace_formfeed and friends: yajl's lexer takes
 * \f and \v as whitespace, RFC 8259 does not. */
Test(json, formfeed_and_vertical_tab_are_not_whitespace)
{
	drover_err err = {{0}};
	const char *msg = refused("[\f]", &err);
	cr_assert(strstr(msg, "doc.json:1:2: "), "points at the form feed: %s", msg);
	cr_assert(strstr(msg, "form feed"), "names it: %s", msg);
	msg = refused("{\"a\": 1,\n \f\v\"b\": 2}", &err);
	cr_assert(strstr(msg, "doc.json:2:2: "), "line and column: %s", msg);
	msg = refused("[1]\v", &err);
	cr_assert(strstr(msg, "vertical tab"), "got: %s", msg);
	/* inside a string, escaped, they are characters like any other */
	drover_value v = {0};
	cr_assert_eq(parse("[\"\\f\\u000b\"]", &v, &err), 0, "%s", err.message);
	drover_value_clear(&v);
}

Test(json, overlong_surrogate_and_out_of_range_utf8_are_refused)
{
	drover_err err = {{0}};
	const char *msg = refused("{\"k\":\n \"a\xC0\xAF\"}", &err);
	cr_assert(strstr(msg, "doc.json:2:4: "), "points at the byte: %s", msg);
	cr_assert(strstr(msg, "overlong"), "says overlong: %s", msg);
	msg = refused("[\"\xE0\x80\xAF\"]", &err);
	cr_assert(strstr(msg, "overlong"), "3-byte overlong: %s", msg);
	msg = refused("[\"\xF0\x80\x80\xAF\"]", &err);
	cr_assert(strstr(msg, "overlong"), "4-byte overlong: %s", msg);
	msg = refused("[\"x\xED\xA0\x80\"]", &err);
	cr_assert(strstr(msg, "doc.json:1:4: "), "points at the surrogate: %s", msg);
	cr_assert(strstr(msg, "surrogate"), "says surrogate: %s", msg);
	msg = refused("[\"\xF4\x90\x80\x80\"]", &err);
	cr_assert(strstr(msg, "U+10FFFF"), "above U+10FFFF: %s", msg);
	msg = refused("[\"\xF5\x80\x80\x80\"]", &err);
	cr_assert(strstr(msg, "U+10FFFF"), "F5 lead byte: %s", msg);
	msg = refused("{\"\xC0\xAF\": 1}", &err);
	cr_assert(strstr(msg, "doc.json:1:3: "), "in a key too: %s", msg);
	/* the extremes of valid UTF-8 still pass */
	drover_value v = {0};
	cr_assert_eq(parse("[\"\xC2\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\"]", &v, &err), 0,
	             "%s", err.message);
	drover_value_clear(&v);
}

Test(json, lone_and_ill_paired_surrogate_escapes_are_refused)
{
	drover_err err = {{0}};
	const char *msg = refused("[\"ab\\ud800\"]", &err);
	cr_assert(strstr(msg, "doc.json:1:5: "), "points at the escape: %s", msg);
	cr_assert(strstr(msg, "high surrogate"), "got: %s", msg);
	msg = refused("[\"\\udc00\\ud800\"]", &err);
	cr_assert(strstr(msg, "doc.json:1:3: "), "points at the first escape: %s", msg);
	cr_assert(strstr(msg, "low surrogate"), "got: %s", msg);
	msg = refused("[\"\\ud800\\u0041\"]", &err);
	cr_assert(strstr(msg, "high surrogate"), "got: %s", msg);
	msg = refused("{\"\\udfff\": 1}", &err);
	cr_assert(strstr(msg, "low surrogate"), "in a key: %s", msg);
	/* a proper pair is one character, U+1F600, as 4 bytes of UTF-8 */
	drover_value v = {0};
	cr_assert_eq(parse("[\"\\ud83d\\ude00\"]", &v, &err), 0, "%s", err.message);
	cr_assert_str_eq(v.u.array.items[0].u.string.ptr, "\xF0\x9F\x98\x80");
	drover_value_clear(&v);
	/* a syntax error before the bad escape is the one reported */
	msg = refused("[1 2, \"\\ud800\"]", &err);
	cr_assert(strstr(msg, "doc.json:1:4: "), "syntax error first: %s", msg);
}

/* 12 million one-character strings (a 60 MB job) took 1.58 GB to validate. */
Test(json, more_than_two_million_values_are_refused, .timeout = 60)
{
	size_t n = 2000001;
	char *text = malloc(n * 2 + 2);
	text[0] = '[';
	for (size_t i = 0; i < n; i++) {
		text[1 + 2 * i] = '1';
		text[2 + 2 * i] = i + 1 < n ? ',' : ']';
	}
	text[2 * n + 1] = '\0';
	drover_value v = {.type = DROVER_VALUE_STRING};
	drover_err err = {{0}};
	cr_assert_eq(parse(text, &v, &err), -E2BIG);
	cr_assert(strstr(err.message, "more than 2000000 values"), "%s", err.message);
	cr_assert(strstr(err.message, "doc.json:1:"), "with a position: %s", err.message);
	/* 1,999,999 numbers and their array: exactly the limit, read */
	text[2 * (n - 2)] = ']';
	text[2 * (n - 2) + 1] = '\0';
	cr_assert_eq(parse(text, &v, &err), 0, "%s", err.message);
	cr_assert_eq(v.u.array.count, n - 2);
	drover_value_clear(&v);
	free(text);
}

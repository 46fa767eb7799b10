#include <errno.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "schema_check.h"
#include "value_tree.h"

#define WHERE "job \"web\", group \"g\", task \"t\", driver \"test\" config"

static const drover_field auth_fields[] = {
	{"username", DROVER_FIELD_STRING, 1, NULL, "registry user", NULL},
	{"password", DROVER_FIELD_STRING, 0, "\"\"", "registry password", NULL},
	DROVER_FIELD_END,
};

static const drover_field mount_fields[] = {
	{"type", DROVER_FIELD_STRING, 1, NULL, "bind or volume", NULL},
	{"target", DROVER_FIELD_STRING, 1, NULL, "path in the task", NULL},
	{"readonly", DROVER_FIELD_BOOL, 0, "false", "mount read-only", NULL},
	DROVER_FIELD_END,
};

static const drover_field fields[] = {
	{"command", DROVER_FIELD_STRING, 1, NULL, "program to run", NULL},
	{"args", DROVER_FIELD_STRING_LIST, 0, "[]", "arguments", NULL},
	{"priority", DROVER_FIELD_INT, 0, "5", "a number", NULL},
	{"ratio", DROVER_FIELD_FLOAT, 0, "0.5", "a fraction", NULL},
	{"debug", DROVER_FIELD_BOOL, 0, "false", "verbose", NULL},
	{"labels", DROVER_FIELD_STRING_MAP, 0, NULL, "labels", NULL},
	{"auth", DROVER_FIELD_BLOCK, 0, NULL, "registry credentials", auth_fields},
	{"mounts", DROVER_FIELD_BLOCK_LIST, 0, NULL, "mounts", mount_fields},
	{"extra", DROVER_FIELD_ANY, 0, NULL, "driver checks it", NULL},
	DROVER_FIELD_END,
};

typedef struct result {
	drover_value in;
	drover_value out;
	drover_errlist errors;
	int rc;
} result;

static void check(result *r, const drover_field *table, const char *json)
{
	drover_err err = {{0}};
	memset(r, 0, sizeof(*r));
	if (json)
		cr_assert_eq(drover_json_parse("test", json, strlen(json), &r->in, &err), 0, "%s",
		             err.message);
	r->out.type = DROVER_VALUE_STRING; /* must become NULL on failure */
	r->rc = drover_schema_check(table, json ? &r->in : NULL, WHERE, &r->out, &r->errors);
}

static void done(result *r)
{
	drover_value_clear(&r->in);
	drover_value_clear(&r->out);
	drover_errlist_clear(&r->errors);
}

static int has_line(const result *r, const char *needle)
{
	for (size_t i = 0; i < r->errors.count; i++)
		if (strstr(r->errors.lines[i], needle))
			return 1;
	return 0;
}

static char *all_lines(const result *r)
{
	static char buf[8192];
	buf[0] = '\0';
	for (size_t i = 0; i < r->errors.count; i++) {
		strncat(buf, r->errors.lines[i], sizeof(buf) - strlen(buf) - 2);
		strcat(buf, "\n");
	}
	return buf;
}

static void expect_refused(const char *json, const char *needle)
{
	result r;
	check(&r, fields, json);
	cr_assert_eq(r.rc, -EINVAL, "%s should be refused", json);
	cr_assert_eq(r.out.type, DROVER_VALUE_NULL, "out is NULL on failure");
	cr_assert(has_line(&r, needle), "for %s expected a line with '%s', got:\n%s", json, needle,
	          all_lines(&r));
	for (size_t i = 0; i < r.errors.count; i++)
		cr_assert(strncmp(r.errors.lines[i], WHERE ": ", strlen(WHERE) + 2) == 0,
		          "every line starts with where: %s", r.errors.lines[i]);
	done(&r);
}

Test(schema_check, every_type_accepted_and_copied)
{
	result r;
	check(&r, fields,
	      "{\"command\": \"/bin/echo\", \"args\": [\"a\", \"b\"], \"priority\": 7, \"ratio\": 2,"
	      " \"debug\": true, \"labels\": {\"k\": \"v\"}, \"auth\": {\"username\": \"u\", \"password\": \"p\"},"
	      " \"mounts\": [{\"type\": \"bind\", \"target\": \"/data\", \"readonly\": true}],"
	      " \"extra\": [1, {\"x\": null}]}");
	cr_assert_eq(r.rc, 0, "%s", all_lines(&r));
	cr_assert_eq(r.errors.count, 0);
	cr_assert_str_eq(drover_value_get_string(&r.out, "command", ""), "/bin/echo");
	const drover_value *args = drover_value_get(&r.out, "args");
	cr_assert_eq(args->u.array.count, 2);
	cr_assert_str_eq(args->u.array.items[1].u.string.ptr, "b");
	cr_assert_eq(drover_value_get_int(&r.out, "priority", 0), 7);
	/* a FLOAT field keeps an integer as the integer it was given */
	cr_assert_eq(drover_value_get(&r.out, "ratio")->type, DROVER_VALUE_INT);
	cr_assert_eq(drover_value_get_bool(&r.out, "debug", 0), 1);
	cr_assert_str_eq(drover_value_get_string(drover_value_get(&r.out, "labels"), "k", ""), "v");
	cr_assert_str_eq(drover_value_get_string(drover_value_get(&r.out, "auth"), "password", ""), "p");
	const drover_value *m = drover_value_get(&r.out, "mounts");
	cr_assert_eq(m->u.array.count, 1);
	cr_assert_eq(drover_value_get_bool(&m->u.array.items[0], "readonly", 0), 1);
	cr_assert_eq(drover_value_get(&r.out, "extra")->u.array.count, 2);
	/* out is a copy: it survives the input */
	drover_value_clear(&r.in);
	cr_assert_str_eq(drover_value_get_string(&r.out, "command", ""), "/bin/echo");
	done(&r);
}

Test(schema_check, float_field_takes_a_float)
{
	result r;
	check(&r, fields, "{\"command\": \"x\", \"ratio\": 0.25}");
	cr_assert_eq(r.rc, 0, "%s", all_lines(&r));
	cr_assert_eq(drover_value_get(&r.out, "ratio")->type, DROVER_VALUE_FLOAT);
	cr_assert_float_eq(drover_value_get(&r.out, "ratio")->u.number, 0.25, 1e-12);
	done(&r);
}

Test(schema_check, each_type_refused_saying_expected_and_given)
{
	expect_refused("{\"command\": 5}", "field \"command\": expected string, given integer");
	expect_refused("{\"command\": \"x\", \"debug\": \"yes\"}", "field \"debug\": expected boolean, given string");
	expect_refused("{\"command\": \"x\", \"priority\": 1.5}", "field \"priority\": expected integer, given float");
	expect_refused("{\"command\": \"x\", \"priority\": \"5\"}", "field \"priority\": expected integer, given string");
	expect_refused("{\"command\": \"x\", \"ratio\": true}", "field \"ratio\": expected number, given boolean");
	expect_refused("{\"command\": \"x\", \"args\": \"a b\"}", "field \"args\": expected array of strings, given string");
	expect_refused("{\"command\": \"x\", \"args\": [\"a\", 2]}", "field \"args[1]\": expected string, given integer");
	expect_refused("{\"command\": \"x\", \"labels\": [\"a\"]}", "field \"labels\": expected object of strings, given array");
	expect_refused("{\"command\": \"x\", \"labels\": {\"a\": 1}}", "field \"labels\": the value of \"a\" must be a string, given integer");
	expect_refused("{\"command\": \"x\", \"auth\": \"u:p\"}", "field \"auth\": expected object, given string");
	expect_refused("{\"command\": \"x\", \"mounts\": 3}", "field \"mounts\": expected array of objects (or one object), given integer");
	expect_refused("{\"command\": \"x\", \"mounts\": [\"bind\"]}", "field \"mounts[0]\": expected object, given string");
}

Test(schema_check, input_must_be_an_object)
{
	expect_refused("[1]", "expected an object, given array");
}

Test(schema_check, defaults_applied_and_null_means_absent)
{
	result r;
	check(&r, fields, "{\"command\": \"x\", \"priority\": null, \"mounts\": [{\"type\": \"bind\", \"target\": \"/a\"}]}");
	cr_assert_eq(r.rc, 0, "%s", all_lines(&r));
	cr_assert_eq(drover_value_get_int(&r.out, "priority", 0), 5, "null takes the default");
	cr_assert_float_eq(drover_value_get(&r.out, "ratio")->u.number, 0.5, 1e-12);
	cr_assert_eq(drover_value_get(&r.out, "debug")->type, DROVER_VALUE_BOOL);
	cr_assert_eq(drover_value_get(&r.out, "args")->type, DROVER_VALUE_ARRAY);
	cr_assert_eq(drover_value_get(&r.out, "args")->u.array.count, 0);
	/* absent without a default stays absent */
	cr_assert_null(drover_value_get(&r.out, "labels"));
	cr_assert_null(drover_value_get(&r.out, "auth"));
	/* nested blocks get their defaults too */
	const drover_value *m0 = &drover_value_get(&r.out, "mounts")->u.array.items[0];
	cr_assert_eq(drover_value_get(m0, "readonly")->type, DROVER_VALUE_BOOL);
	cr_assert_eq(drover_value_get_bool(m0, "readonly", 1), 0);
	done(&r);
}

Test(schema_check, missing_required_and_null_required)
{
	expect_refused("{}", "missing required field \"command\"");
	expect_refused("{\"command\": null}", "missing required field \"command\"");
	/* no block at all is the same as an empty one */
	result r;
	check(&r, fields, NULL);
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(has_line(&r, "missing required field \"command\""), "%s", all_lines(&r));
	done(&r);
	static const drover_field optional[] = {
		{"n", DROVER_FIELD_INT, 0, "3", "", NULL}, DROVER_FIELD_END};
	check(&r, optional, NULL);
	cr_assert_eq(r.rc, 0, "%s", all_lines(&r));
	cr_assert_eq(drover_value_get_int(&r.out, "n", 0), 3);
	done(&r);
}

Test(schema_check, nested_paths_in_messages)
{
	expect_refused("{\"command\": \"x\", \"mounts\": [{\"type\": \"bind\", \"target\": \"/a\"},"
	               " {\"type\": 1, \"target\": \"/b\"}]}",
	               "field \"mounts[1].type\": expected string, given integer");
	expect_refused("{\"command\": \"x\", \"auth\": {\"password\": \"p\"}}",
	               "missing required field \"auth.username\"");
	expect_refused("{\"command\": \"x\", \"auth\": {\"username\": \"u\", \"token\": \"t\"}}",
	               "unknown key \"auth.token\" (known keys in \"auth\": username, password)");
	expect_refused("{\"command\": \"x\", \"mounts\": [{\"type\": \"bind\"}]}",
	               "missing required field \"mounts[0].target\"");
}

Test(schema_check, block_list_single_object_becomes_a_list)
{
	result r;
	check(&r, fields, "{\"command\": \"x\", \"mounts\": {\"type\": \"volume\", \"target\": \"/v\"}}");
	cr_assert_eq(r.rc, 0, "%s", all_lines(&r));
	const drover_value *m = drover_value_get(&r.out, "mounts");
	cr_assert_eq(m->type, DROVER_VALUE_ARRAY);
	cr_assert_eq(m->u.array.count, 1);
	cr_assert_str_eq(drover_value_get_string(&m->u.array.items[0], "type", ""), "volume");
	cr_assert_eq(drover_value_get_bool(&m->u.array.items[0], "readonly", 1), 0);
	done(&r);
	/* and a problem inside it is reported at index 0 */
	expect_refused("{\"command\": \"x\", \"mounts\": {\"type\": \"volume\"}}",
	               "missing required field \"mounts[0].target\"");
}

Test(schema_check, unknown_key_lists_known_keys)
{
	static const drover_field small[] = {
		{"command", DROVER_FIELD_STRING, 1, NULL, "", NULL},
		{"args", DROVER_FIELD_STRING_LIST, 0, NULL, "", NULL},
		{"work_dir", DROVER_FIELD_STRING, 0, NULL, "", NULL},
		DROVER_FIELD_END,
	};
	result r;
	check(&r, small, "{\"command\": \"x\", \"foo\": 1}");
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert_eq(r.errors.count, 1, "%s", all_lines(&r));
	cr_assert_str_eq(r.errors.lines[0],
	                 WHERE ": unknown key \"foo\" (known keys: command, args, work_dir)");
	done(&r);
}

Test(schema_check, several_errors_collected)
{
	result r;
	check(&r, fields,
	      "{\"bogus\": 1, \"debug\": 3, \"args\": [1, true], \"auth\": {}, \"mounts\": [{}]}");
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(has_line(&r, "unknown key \"bogus\""), "%s", all_lines(&r));
	cr_assert(has_line(&r, "field \"debug\": expected boolean"), "%s", all_lines(&r));
	cr_assert(has_line(&r, "field \"args[0]\""), "%s", all_lines(&r));
	cr_assert(has_line(&r, "field \"args[1]\""), "%s", all_lines(&r));
	cr_assert(has_line(&r, "missing required field \"auth.username\""), "%s", all_lines(&r));
	cr_assert(has_line(&r, "missing required field \"mounts[0].type\""), "%s", all_lines(&r));
	cr_assert(has_line(&r, "missing required field \"mounts[0].target\""), "%s", all_lines(&r));
	cr_assert(has_line(&r, "missing required field \"command\""), "%s", all_lines(&r));
	cr_assert_eq(r.errors.count, 8, "%s", all_lines(&r));
	done(&r);
}

Test(schema_check, malformed_default_blames_the_schema)
{
	static const drover_field bad_json[] = {
		{"n", DROVER_FIELD_INT, 0, "{oops", "", NULL}, DROVER_FIELD_END};
	static const drover_field bad_type[] = {
		{"n", DROVER_FIELD_INT, 0, "\"five\"", "", NULL}, DROVER_FIELD_END};
	result r;
	check(&r, bad_json, "{}");
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(has_line(&r, "malformed default for \"n\""), "%s", all_lines(&r));
	cr_assert(has_line(&r, "driver's author"), "%s", all_lines(&r));
	done(&r);
	check(&r, bad_type, "{}");
	cr_assert_eq(r.rc, -EINVAL);
	cr_assert(has_line(&r, "default for \"n\" is not a valid integer"), "%s", all_lines(&r));
	done(&r);
	/* a given value never looks at the default */
	check(&r, bad_type, "{\"n\": 1}");
	cr_assert_eq(r.rc, 0, "%s", all_lines(&r));
	done(&r);
}

Test(schema_check, errlist_collects_formatted_lines)
{
	drover_errlist l = {0};
	drover_errlist_add(&l, "a %d", 1);
	drover_errlist_add(&l, "%s", "b");
	cr_assert_eq(l.count, 2);
	cr_assert_str_eq(l.lines[0], "a 1");
	cr_assert_str_eq(l.lines[1], "b");
	drover_errlist_clear(&l);
	cr_assert_eq(l.count, 0);
	cr_assert_null(l.lines);
}

/* Under ASan, growing by one entry per realloc made 40,000 error lines take 48 s. */
Test(errlist, grows_geometrically_and_prints_a_bounded_number, .timeout = 30)
{
	drover_errlist list = {0};
	size_t reallocs = 0, last_cap = 0;
	for (int i = 0; i < 40000; i++) {
		drover_errlist_add(&list, "error %d", i);
		if (list.cap != last_cap) {
			reallocs++;
			last_cap = list.cap;
		}
	}
	cr_assert_eq(list.count, 40000);
	cr_assert_leq(reallocs, 20, "the array grew %zu times", reallocs);
	cr_assert_str_eq(list.lines[39999], "error 39999");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	drover_errlist_print(f, &list, "drover: ");
	fclose(f);
	size_t newlines = 0;
	for (size_t i = 0; i < len; i++)
		newlines += out[i] == '\n';
	cr_assert_eq(newlines, DROVER_ERRLIST_PRINT_MAX + 1, "%zu lines", newlines);
	cr_assert(strstr(out, "drover: error 0\n"), "%.200s", out);
	cr_assert(strstr(out, "drover: and 39900 more errors"), "%s", out + len - 120);
	cr_assert_null(strstr(out, "error 100\n"), "stops after the first 100");
	free(out);
	drover_errlist_clear(&list);
	cr_assert_eq(list.cap, 0);
}

Test(errlist, a_short_list_is_printed_whole)
{
	drover_errlist list = {0};
	drover_errlist_add(&list, "one");
	drover_errlist_add(&list, "two");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	drover_errlist_print(f, &list, NULL);
	fclose(f);
	cr_assert_str_eq(out, "one\ntwo\n");
	free(out);
	drover_errlist_clear(&list);
}

Test(schema_check, integer_past_long_long_is_too_large_not_float)
{
	expect_refused("{\"command\": \"x\", \"priority\": 18446744073709551616}",
	               "field \"priority\": the integer 18446744073709551616 is too large: the largest value accepted is 9223372036854775807");
	expect_refused("{\"command\": \"x\", \"priority\": -18446744073709551616}",
	               "is too small: the smallest value accepted is -9223372036854775808");
}

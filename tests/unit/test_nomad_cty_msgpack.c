/* nomad/cty_msgpack.c: the msgpack go-cty writes for Nomad, decoded against a
 * driver's schema. The byte strings are what cty's msgpack.Marshal produces
 * (objects as maps, numbers as the smallest int or a float64, null as nil,
 * unknown as extension 0). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "nomad/cty_msgpack.h"

static const drover_field mount_fields[] = {
	{"type", DROVER_FIELD_STRING, 1, NULL, NULL, NULL},
	DROVER_FIELD_END,
};

static const drover_field fields[] = {
	{"command", DROVER_FIELD_STRING, 1, NULL, NULL, NULL},
	{"args", DROVER_FIELD_STRING_LIST, 0, NULL, NULL, NULL},
	{"work_dir", DROVER_FIELD_STRING, 0, NULL, NULL, NULL},
	{"oom_score_adj", DROVER_FIELD_INT, 0, "0", NULL, NULL},
	{"ratio", DROVER_FIELD_FLOAT, 0, NULL, NULL, NULL},
	{"labels", DROVER_FIELD_STRING_MAP, 0, NULL, NULL, NULL},
	{"mounts", DROVER_FIELD_BLOCK_LIST, 0, NULL, NULL, mount_fields},
	{"extra", DROVER_FIELD_ANY, 0, NULL, NULL, NULL},
	DROVER_FIELD_END,
};

#define DECODE(bytes, out, err) \
	nomad_cty_decode((const uint8_t *)(bytes), sizeof(bytes) - 1, fields, &arena, (out), (err))

Test(cty_msgpack, object_with_null_attributes_left_out)
{
	nomad_arena arena = {0};
	drover_value v;
	drover_err err = {{0}};
	/* {"args": ["a","b"], "command": "sh", "work_dir": nil, "oom_score_adj": 7} */
	static const char b[] = "\x84\xa4" "args" "\x92\xa1" "a" "\xa1" "b"
	                        "\xa7" "command" "\xa2" "sh"
	                        "\xa8" "work_dir" "\xc0"
	                        "\xad" "oom_score_adj" "\x07";
	cr_assert_eq(DECODE(b, &v, &err), 0, "%s", err.message);
	cr_assert_eq(v.type, DROVER_VALUE_OBJECT);
	cr_assert_eq(v.u.object.count, 3, "the null work_dir is left out for the defaults");
	cr_assert_str_eq(drover_value_get_string(&v, "command", ""), "sh");
	const drover_value *args = drover_value_get(&v, "args");
	cr_assert(args && args->type == DROVER_VALUE_ARRAY && args->u.array.count == 2);
	cr_assert_str_eq(args->u.array.items[1].u.string.ptr, "b");
	cr_assert_eq(drover_value_get_int(&v, "oom_score_adj", -1), 7);
	cr_assert_null(drover_value_get(&v, "work_dir"));
	nomad_arena_free(&arena);
}

Test(cty_msgpack, empty_buffer_is_an_empty_object)
{
	nomad_arena arena = {0};
	drover_value v;
	drover_err err = {{0}};
	cr_assert_eq(nomad_cty_decode(NULL, 0, fields, &arena, &v, &err), 0);
	cr_assert_eq(v.type, DROVER_VALUE_OBJECT);
	cr_assert_eq(v.u.object.count, 0);
	nomad_arena_free(&arena);
}

Test(cty_msgpack, numbers_int_float_and_big)
{
	nomad_arena arena = {0};
	drover_value v;
	drover_err err = {{0}};
	/* {"ratio": float64 0.5, "oom_score_adj": int16 -300} */
	static const char b[] = "\x82\xa5" "ratio" "\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00"
	                        "\xad" "oom_score_adj" "\xd1\xfe\xd4";
	cr_assert_eq(DECODE(b, &v, &err), 0, "%s", err.message);
	cr_assert_float_eq(drover_value_get(&v, "ratio")->u.number, 0.5, 1e-12);
	cr_assert_eq(drover_value_get_int(&v, "oom_score_adj", 0), -300);

	/* a fraction where a whole number is required */
	static const char frac[] = "\x81\xad" "oom_score_adj" "\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00";
	cr_assert_eq(DECODE(frac, &v, &err), -EINVAL);
	cr_assert(strstr(err.message, "oom_score_adj: expected a whole number"), "%s", err.message);

	/* cty writes a number beyond float64 as its decimal string */
	static const char big[] = "\x81\xa5" "ratio" "\xa4" "1e999";
	cr_assert_eq(DECODE(big, &v, &err), -EINVAL);
	cr_assert(strstr(err.message, "ratio: number out of the range"), "%s", err.message);

	/* uint64 beyond int64 in an "any" field stays a number */
	static const char u64[] = "\x81\xa5" "extra" "\xcf\xff\xff\xff\xff\xff\xff\xff\xff";
	cr_assert_eq(DECODE(u64, &v, &err), 0, "%s", err.message);
	cr_assert_eq(drover_value_get(&v, "extra")->type, DROVER_VALUE_FLOAT);
	nomad_arena_free(&arena);
}

Test(cty_msgpack, unknown_value_is_refused)
{
	nomad_arena arena = {0};
	drover_value v;
	drover_err err = {{0}};
	/* {"command": <unknown>}: cty's unknown is msgpack extension 0 */
	static const char b[] = "\x81\xa7" "command" "\xd4\x00\x00";
	cr_assert_eq(DECODE(b, &v, &err), -EINVAL);
	cr_assert(strstr(err.message, "command: value is not known yet"), "%s", err.message);
	nomad_arena_free(&arena);
}

Test(cty_msgpack, wrong_types_and_unknown_keys_name_the_field)
{
	nomad_arena arena = {0};
	drover_value v;
	drover_err err = {{0}};
	static const char num[] = "\x81\xa7" "command" "\x05";
	cr_assert_eq(DECODE(num, &v, &err), -EINVAL);
	cr_assert_str_eq(err.message, "command: expected string, got number");

	static const char key[] = "\x81\xa3" "bad" "\x05";
	cr_assert_eq(DECODE(key, &v, &err), -EINVAL);
	cr_assert(strstr(err.message, "bad: unknown key"), "%s", err.message);

	/* {"mounts": [{"type": "bind"}, {"type": 1}]} */
	static const char nested[] = "\x81\xa6" "mounts" "\x92\x81\xa4" "type" "\xa4" "bind"
	                             "\x81\xa4" "type" "\x01";
	cr_assert_eq(DECODE(nested, &v, &err), -EINVAL);
	cr_assert_str_eq(err.message, "mounts[1].type: expected string, got number");

	static const char map[] = "\x81\xa6" "labels" "\x81\xa1" "k" "\xc0";
	cr_assert_eq(DECODE(map, &v, &err), -EINVAL);
	cr_assert(strstr(err.message, "labels.k: null is not allowed"), "%s", err.message);
	nomad_arena_free(&arena);
}

Test(cty_msgpack, malformed_input_is_an_error_not_a_crash)
{
	nomad_arena arena = {0};
	drover_value v;
	drover_err err = {{0}};
	static const char truncated[] = "\x81\xa7" "comm";
	cr_assert_eq(DECODE(truncated, &v, &err), -EINVAL);
	cr_assert(strstr(err.message, "truncated"), "%s", err.message);
	static const char huge[] = "\xdf\xff\xff\xff\xff";
	cr_assert_eq(DECODE(huge, &v, &err), -EINVAL);
	static const char trailing[] = "\x80\x80";
	cr_assert_eq(DECODE(trailing, &v, &err), -EINVAL);
	cr_assert(strstr(err.message, "bytes after the value"), "%s", err.message);
	static const char reserved[] = "\xc1";
	cr_assert_eq(DECODE(reserved, &v, &err), -EINVAL);
	nomad_arena_free(&arena);
}

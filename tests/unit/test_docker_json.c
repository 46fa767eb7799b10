/* The docker driver's JSON reader against hostile daemon answers. */
#include <config.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker_json.h"

static char *nested(size_t depth, char open, char close)
{
	char *s = malloc(depth * 2 + 1);
	cr_assert(s);
	memset(s, open, depth);
	memset(s + depth, close, depth);
	s[depth * 2] = '\0';
	return s;
}

Test(docker_json, depth_64_is_read)
{
	char *ok = nested(DOCKER_JSON_MAX_DEPTH, '[', ']');
	yajl_val v = NULL;
	drover_err err = {{0}};
	cr_assert_eq(docker_json_parse(ok, strlen(ok), "an event", &v, &err), 0, "%s", err.message);
	yajl_tree_free(v);
	free(ok);
}

Test(docker_json, depth_65_is_refused_naming_the_answer)
{
	char *deep = nested(DOCKER_JSON_MAX_DEPTH + 1, '[', ']');
	yajl_val v = NULL;
	drover_err err = {{0}};
	cr_assert_eq(docker_json_parse(deep, strlen(deep), "the container inspection", &v, &err),
	             -EPROTO);
	cr_assert_null(v);
	cr_assert(strstr(err.message, "the container inspection"), "%s", err.message);
	cr_assert(strstr(err.message, "64"), "says the limit: %s", err.message);
	free(deep);
}

/* The reproducer: 262,144 nested arrays (512 KB, under the answer
 * caps) overflowed the stack in yajl_tree_parse/yajl_tree_free. */
Test(docker_json, a_quarter_million_nested_arrays_do_not_crash)
{
	char *deep = nested(262144, '[', ']');
	yajl_val v = NULL;
	drover_err err = {{0}};
	cr_assert_eq(docker_json_parse(deep, strlen(deep), "an event", &v, &err), -EPROTO);
	free(deep);
	deep = nested(262144, '{', '}');
	cr_assert_eq(docker_json_parse(deep, strlen(deep), "the docker config file", &v, &err), -EPROTO);
	free(deep);
}

Test(docker_json, brackets_inside_strings_do_not_count)
{
	char *text = malloc(300);
	strcpy(text, "{\"Status\": \"");
	for (int i = 0; i < 200; i++)
		strcat(text, i % 2 ? "[" : "{");
	strcat(text, "\\\"[\"}");
	yajl_val v = NULL;
	drover_err err = {{0}};
	cr_assert_eq(docker_json_parse(text, strlen(text), "an event", &v, &err), 0, "%s", err.message);
	cr_assert(docker_json_str(v, "Status", NULL));
	yajl_tree_free(v);
	free(text);
}

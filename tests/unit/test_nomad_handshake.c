/* nomad/handshake.c and nomad/hclspec.c: the go-plugin handshake pieces and
 * a drover schema as Nomad's hclspec. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nomad/handshake.h"
#include "nomad/hclspec.h"

Test(handshake, cookie)
{
	cr_assert_eq(nomad_handshake_check_cookie(NOMAD_MAGIC_COOKIE_VALUE), 0);
	cr_assert_eq(nomad_handshake_check_cookie(NULL), -EPERM);
	cr_assert_eq(nomad_handshake_check_cookie("e4327c2e"), -EPERM);
}

Test(handshake, protocol_versions)
{
	drover_err err = {{0}};
	cr_assert_eq(nomad_handshake_protocol(NULL, &err), 2);
	cr_assert_eq(nomad_handshake_protocol("2", &err), 2);
	cr_assert_eq(nomad_handshake_protocol("1,2,3", &err), 2);
	cr_assert_eq(nomad_handshake_protocol("1,3", &err), -EPROTONOSUPPORT);
	cr_assert(strstr(err.message, "\"1,3\""), "%s", err.message);
	cr_assert_eq(nomad_handshake_protocol("12,21", &err), -EPROTONOSUPPORT);
}

Test(handshake, socket_path_and_line)
{
	char dir[] = "/tmp/nomad-hs-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	setenv("PLUGIN_UNIX_SOCKET_DIR", dir, 1);
	char path[256];
	drover_err err = {{0}};
	cr_assert_eq(nomad_handshake_socket_path(path, sizeof(path), &err), 0, "%s", err.message);
	cr_assert_eq(strncmp(path, dir, strlen(dir)), 0);
	cr_assert_eq(strncmp(path + strlen(dir), "/plugin", 7), 0);
	struct stat st;
	cr_assert_eq(stat(path, &st), -1, "the name is free for the socket");
	char line[400];
	cr_assert_eq(nomad_handshake_line(line, sizeof(line), 2, path), 0);
	char want[400];
	snprintf(want, sizeof(want), "1|2|unix|%s|grpc|\n", path);
	cr_assert_str_eq(line, want);
	rmdir(dir);
}

static const drover_field nested[] = {
	{"source", DROVER_FIELD_STRING, 1, NULL, NULL, NULL},
	DROVER_FIELD_END,
};
static const drover_field schema[] = {
	{"command", DROVER_FIELD_STRING, 1, NULL, NULL, NULL},
	{"args", DROVER_FIELD_STRING_LIST, 0, "[]", NULL, NULL},
	{"mounts", DROVER_FIELD_BLOCK_LIST, 1, NULL, NULL, nested},
	{"auth", DROVER_FIELD_BLOCK, 0, NULL, NULL, nested},
	DROVER_FIELD_END,
};

static const HS(Spec) *attr(const HS(Spec) *obj, const char *name)
{
	for (size_t i = 0; i < obj->object->n_attributes; i++)
		if (strcmp(obj->object->attributes[i]->key, name) == 0)
			return obj->object->attributes[i]->value;
	return NULL;
}

Test(hclspec, schema_as_spec)
{
	nomad_arena arena = {0};
	HS(Spec) *spec = nomad_hclspec_from_schema(schema, &arena);
	cr_assert_not_null(spec);
	cr_assert_eq(spec->block_case, HS_CASE(OBJECT));
	cr_assert_eq(spec->object->n_attributes, 4);

	const HS(Spec) *cmd = attr(spec, "command");
	cr_assert_eq(cmd->block_case, HS_CASE(ATTR));
	cr_assert_str_eq(cmd->attr->type, "string");
	cr_assert(cmd->attr->required);

	const HS(Spec) *args = attr(spec, "args");
	cr_assert_eq(args->block_case, HS_CASE(DEFAULT), "a default wraps the attribute");
	cr_assert_str_eq(args->default_->primary->attr->type, "list(string)");
	cr_assert_str_eq(args->default_->default_->literal->value, "[]");

	const HS(Spec) *mounts = attr(spec, "mounts");
	cr_assert_eq(mounts->block_case, HS_CASE(BLOCK_LIST));
	cr_assert_eq(mounts->block_list->min_items, 1);
	cr_assert_eq(mounts->block_list->nested->block_case, HS_CASE(OBJECT));

	const HS(Spec) *auth = attr(spec, "auth");
	cr_assert_eq(auth->block_case, HS_CASE(BLOCK_VALUE));
	cr_assert_not(auth->block_value->required);

	/* and it packs: what ConfigSchema sends */
	size_t len = protobuf_c_message_get_packed_size(&spec->base);
	cr_assert_gt(len, 0);
	nomad_arena_free(&arena);
}

#include <errno.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_config.h"
#include "host_volume.h"

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/drover-agent-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int load(const char *text, drover_agent_config *cfg, drover_errlist *errors)
{
	char *path = write_tmp(text);
	int rc = drover_agent_config_load(path, cfg, errors);
	unlink(path);
	free(path);
	return rc;
}

Test(agent_config, reads_dirs_plugin_options_and_lookups)
{
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	int rc = load("{\"data_dir\": \"/var/d\", \"plugin_dir\": \"/p\", \"log_level\": \"INFO\",\n"
	              " \"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}},\n"
	              " \"client\": {\"chroot_env\": {\"/bin\": \"/bin\"}}}",
	              &cfg, &errors);
	cr_assert_eq(rc, 0, "%s", errors.count ? errors.lines[0] : "");
	cr_assert_str_eq(cfg.data_dir, "/var/d");
	cr_assert_str_eq(cfg.plugin_dir, "/p");
	const drover_value *opts = drover_agent_config_plugin_options(&cfg, "raw_exec");
	cr_assert_eq(drover_value_get_bool(opts, "enabled", 0), 1);
	cr_assert_null(drover_agent_config_plugin_options(&cfg, "docker"));
	const drover_value *bin = drover_agent_config_lookup(&cfg, "client.chroot_env./bin");
	cr_assert(bin && bin->type == DROVER_VALUE_STRING && strcmp(bin->u.string.ptr, "/bin") == 0);
	cr_assert_null(drover_agent_config_lookup(&cfg, "client.nothing_here"));
	const drover_value *chroot = drover_agent_config_lookup(&cfg, "client.chroot_env");
	cr_assert(chroot && chroot->type == DROVER_VALUE_OBJECT);
	cr_assert_eq(cfg.ignored_count, 1);
	cr_assert_str_eq(cfg.ignored[0], "log_level");
	drover_agent_config_clear(&cfg);
}

Test(agent_config, accepts_hcl_list_of_one_form)
{
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	int rc = load("{\"plugin\": [{\"raw_exec\": [{\"config\": [{\"enabled\": true}]}]}]}", &cfg, &errors);
	cr_assert_eq(rc, 0, "%s", errors.count ? errors.lines[0] : "");
	const drover_value *opts = drover_agent_config_plugin_options(&cfg, "raw_exec");
	cr_assert_eq(drover_value_get_bool(opts, "enabled", 0), 1);
	drover_agent_config_clear(&cfg);
}

Test(agent_config, unknown_keys_and_wrong_types_are_named)
{
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	int rc = load("{\"plugin_dirr\": \"/p\", \"data_dir\": 3,\n"
	              " \"plugin\": {\"raw_exec\": {\"confg\": {}}}, \"client\": {\"bogus\": 1}}",
	              &cfg, &errors);
	cr_assert_eq(rc, -EINVAL);
	char all[4096] = "";
	for (size_t i = 0; i < errors.count; i++) {
		strncat(all, errors.lines[i], sizeof(all) - strlen(all) - 2);
		strcat(all, "\n");
	}
	cr_assert(strstr(all, "\"plugin_dirr\""), "%s", all);
	cr_assert(strstr(all, "\"confg\""), "%s", all);
	cr_assert(strstr(all, "\"bogus\""), "%s", all);
	cr_assert_null(cfg.doc.u.object.keys, "config left half-filled");
	drover_errlist_clear(&errors);
}

Test(agent_config, malformed_json_names_file_and_line)
{
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	int rc = load("{\n\"data_dir\": \"/x\",\n}", &cfg, &errors);
	cr_assert_lt(rc, 0);
	cr_assert_eq(errors.count, 1);
	cr_assert(strstr(errors.lines[0], "/tmp/drover-agent-"), "%s", errors.lines[0]);
	cr_assert(strstr(errors.lines[0], ":3:"), "%s", errors.lines[0]);
	drover_errlist_clear(&errors);
}

Test(agent_config, missing_file_is_an_error)
{
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	cr_assert_lt(drover_agent_config_load("/nonexistent/agent.json", &cfg, &errors), 0);
	cr_assert_eq(errors.count, 1);
	cr_assert(strstr(errors.lines[0], "/nonexistent/agent.json"), "%s", errors.lines[0]);
	drover_errlist_clear(&errors);
}

/* The node's identity and the dynamic port range are read, not ignored. */
Test(agent_config, reads_node_identity_and_port_range)
{
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	int rc = load("{\"region\": \"eu\", \"datacenter\": \"dc7\", \"name\": \"n1\",\n"
	              " \"client\": {\"node_class\": \"gpu\", \"min_dynamic_port\": 21000,\n"
	              "  \"max_dynamic_port\": 21010, \"meta\": {\"rack\": \"r9\"}}}",
	              &cfg, &errors);
	cr_assert_eq(rc, 0, "%s", errors.count ? errors.lines[0] : "");
	cr_assert_eq(cfg.ignored_count, 0);
	cr_assert_str_eq(drover_agent_config_lookup(&cfg, "region")->u.string.ptr, "eu");
	cr_assert_str_eq(drover_agent_config_lookup(&cfg, "client.node_class")->u.string.ptr, "gpu");
	cr_assert_eq(drover_agent_config_lookup(&cfg, "client.max_dynamic_port")->u.integer, 21010);
	drover_agent_config_clear(&cfg);
}

Test(agent_config, refuses_bad_port_range_and_wrong_types_naming_the_key)
{
	const struct {
		const char *text, *needle;
	} cases[] = {
		{"{\"client\": {\"min_dynamic_port\": 0}}", "client.min_dynamic_port must be a port number"},
		{"{\"client\": {\"max_dynamic_port\": 70000}}", "client.max_dynamic_port must be a port number"},
		{"{\"client\": {\"max_dynamic_port\": \"32000\"}}", "client.max_dynamic_port must be a port number"},
		{"{\"client\": {\"min_dynamic_port\": 30000, \"max_dynamic_port\": 29000}}",
		 "client.min_dynamic_port (30000) is above client.max_dynamic_port (29000)"},
		{"{\"region\": 5}", "region must be a string, not integer"},
		{"{\"client\": {\"node_class\": [\"a\"]}}", "client.node_class must be a string, not array"},
		{"{\"client\": {\"meta\": {\"a\": 1}}}", "client.meta must map keys to strings"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drover_agent_config cfg = {0};
		drover_errlist errors = {0};
		cr_assert_eq(load(cases[i].text, &cfg, &errors), -EINVAL, "accepted: %s", cases[i].text);
		cr_assert_geq(errors.count, 1);
		cr_assert(strstr(errors.lines[0], cases[i].needle), "%s: got \"%s\"", cases[i].text,
		          errors.lines[0]);
		drover_errlist_clear(&errors);
	}
}

/* client.host_volume in Nomad's JSON forms: an object of blocks, and
 * HCL-to-JSON's lists; a relative path, an unknown key and a non-boolean
 * read_only are named. */
Test(agent_config, host_volumes_in_every_json_form)
{
	static const char *const forms[] = {
		"{\"client\": {\"host_volume\": {\"data\": {\"path\": \"/srv/data\", \"read_only\": true}}}}",
		"{\"client\": {\"host_volume\": [{\"data\": [{\"path\": \"/srv/data\", \"read_only\": true}]}]}}",
		"{\"client\": [{\"host_volume\": [{\"other\": {\"path\": \"/o\"}}, {\"data\": {\"path\": "
		"\"/srv/data\", \"read_only\": true}}]}]}",
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		drover_agent_config cfg = {0};
		drover_errlist errors = {0};
		drover_err err = {{0}};
		const char *path = NULL;
		int ro = 0;
		cr_assert_eq(load(forms[i], &cfg, &errors), 0, "%s", errors.count ? errors.lines[0] : "");
		cr_assert_eq(drover_host_volume_find(&cfg, "data", &path, &ro, &err), 0, "%s",
		             err.message);
		cr_assert_str_eq(path, "/srv/data");
		cr_assert_eq(ro, 1);
		cr_assert_eq(drover_host_volume_find(&cfg, "nope", &path, &ro, &err), -ENOENT);
		cr_assert(strstr(err.message, "host volume \"nope\" is not declared by this agent"),
		          "%s", err.message);
		drover_agent_config_clear(&cfg);
		drover_errlist_clear(&errors);
	}

	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	cr_assert_eq(load("{\"client\": {\"host_volume\": {\"a\": {\"path\": \"rel\"}, "
	                  "\"b\": {\"path\": \"/x\", \"readonly\": true}, "
	                  "\"c\": {\"path\": \"/y\", \"read_only\": \"yes\"}}}}",
	                  &cfg, &errors),
	             -EINVAL);
	cr_assert_eq(errors.count, 3);
	cr_assert(strstr(errors.lines[0], "client.host_volume \"a\": \"path\" must be an absolute"));
	cr_assert(strstr(errors.lines[1], "client.host_volume \"b\": unknown key \"readonly\""));
	cr_assert(strstr(errors.lines[2], "client.host_volume \"c\": \"read_only\" must be true"));
	drover_errlist_clear(&errors);
}

/* Nomad's client.max_kill_timeout: 30s unless the agent config says otherwise. */
Test(agent_config, max_kill_timeout_defaults_to_30s_and_is_read)
{
	cr_assert_eq(drover_agent_config_max_kill_timeout_ms(NULL), 30000);
	drover_agent_config none = {0};
	cr_assert_eq(drover_agent_config_max_kill_timeout_ms(&none), 30000);
	drover_agent_config cfg = {0};
	drover_errlist errors = {0};
	int rc = load("{\"client\": {\"max_kill_timeout\": \"2m\"}}", &cfg, &errors);
	cr_assert_eq(rc, 0, "%s", errors.count ? errors.lines[0] : "");
	cr_assert_eq(drover_agent_config_max_kill_timeout_ms(&cfg), 120000);
	drover_agent_config_clear(&cfg);
	rc = load("{\"client\": {\"enabled\": true}}", &cfg, &errors);
	cr_assert_eq(rc, 0);
	cr_assert_eq(drover_agent_config_max_kill_timeout_ms(&cfg), 30000);
	drover_agent_config_clear(&cfg);
}

Test(agent_config, bad_max_kill_timeout_is_named)
{
	static const char *const bad[] = {
		"{\"client\": {\"max_kill_timeout\": 30}}",
		"{\"client\": {\"max_kill_timeout\": \"forever\"}}",
		"{\"client\": {\"max_kill_timeout\": \"0s\"}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		drover_agent_config cfg = {0};
		drover_errlist errors = {0};
		cr_assert_eq(load(bad[i], &cfg, &errors), -EINVAL, "%s", bad[i]);
		cr_assert(errors.count && strstr(errors.lines[0], "client.max_kill_timeout must be a positive duration"),
		          "%s: %s", bad[i], errors.count ? errors.lines[0] : "(none)");
		drover_errlist_clear(&errors);
	}
}

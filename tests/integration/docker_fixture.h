/* What test_docker and test_docker_network do alike against the real dockerd
 * on SOCK: asking whether it answers, checking a config as the host does, and
 * inspecting a container through the Engine API. */
#ifndef DROVER_TEST_DOCKER_FIXTURE_H
#define DROVER_TEST_DOCKER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <drover/driver.h>

#include "docker_http.h"
#include "docker_json.h"
#include "json.h"
#include "plugin_fixture.h"
#include "schema_check.h"
#include "value_tree.h"

#define DOCKER_FIXTURE_SOCK "unix:///var/run/docker.sock"

/* The plugin from DOCKER_SO with a host services table that logs nothing
 * and has no agent config, its log follower DOCKER_LOGGER, and in *client a
 * client of the daemon. */
static inline const drover_driver *docker_fixture_load(void **so, drover_host *host,
                                                       docker_client *client)
{
	const drover_driver *drv = plugin_fixture_load(DOCKER_SO, so);

	plugin_fixture_host(host, plugin_fixture_quiet_log, plugin_fixture_no_agent_config);
	setenv("DROVER_DOCKER_LOGGER", DOCKER_LOGGER, 1);
	cr_assert_eq(docker_client_init(client, DOCKER_FIXTURE_SOCK, NULL, NULL, NULL, NULL), 0);
	return drv;
}

/* 1 when a dockerd answers on DOCKER_FIXTURE_SOCK. */
static inline int docker_fixture_daemon_up(void)
{
	docker_response r = { 0, NULL, 0 };
	docker_client c;
	int ok;

	if (docker_client_init(&c, DOCKER_FIXTURE_SOCK, NULL, NULL, NULL, NULL) < 0)
		return 0;
	ok = docker_client_negotiate(&c, &r, NULL) == 0;
	docker_response_free(&r);
	docker_client_free(&c);
	return ok;
}

/* Checks `json` against `schema` as the host does; 0 or -EINVAL with the
 * first error line in `first` ("" when none). */
static inline int docker_fixture_checked(const drover_field *schema, const char *json,
                                         drover_value *out, char *first, size_t len)
{
	drover_value in;
	drover_err err = { "" };
	drover_errlist errors = { 0 };
	int r;

	cr_assert_eq(drover_json_parse("test", json, strlen(json), &in, &err), 0, "%s", err.message);
	r = drover_schema_check(schema, &in, "driver \"docker\" config", out, &errors);
	if (first)
		snprintf(first, len, "%s", errors.count ? errors.lines[0] : "");
	drover_errlist_clear(&errors);
	drover_value_clear(&in);
	return r;
}

/* The container's inspection (GET /containers/<name>/json), NULL unless the
 * status (in *status) is 200; the client's error in *err. */
static inline yajl_val docker_fixture_inspect(docker_client *client, const char *name_or_id,
                                              long *status, drover_err *err)
{
	docker_request req;
	docker_response resp;
	char path[300];
	yajl_val v = NULL;

	snprintf(path, sizeof(path), "/containers/%s/json", name_or_id);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.upload_fd = -1;
	docker_http_do(client, &req, &resp, err);
	*status = resp.status;
	if (resp.status == 200)
		cr_assert_eq(docker_json_parse(resp.body, resp.len, "inspect", &v, err), 0);
	docker_response_free(&resp);
	return v;
}

#endif

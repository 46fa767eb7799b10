/* host/network/network_store.c: the alloc_networks rows that record each
 * group namespace intent before effect, against a real SQLite file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "network/network_store.h"
#include "state_store.h"

static char root[64];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/drover-netstore-XXXXXX");
	cr_assert(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(network_store, .init = setup, .fini = teardown, .timeout = 30);

static drover_state *open_store(void)
{
	drover_state *st = NULL;
	drover_err err = {{0}};
	cr_assert_eq(drover_state_open(root, &st, &err), 0, "open: %s", err.message);
	return st;
}

Test(network_store, an_intent_becomes_ready_and_outlives_its_allocation_row)
{
	drover_state *st = open_store();
	drover_err err = {{0}};
	drover_state_network n = {
		.alloc_id = "a1", .state = "adding", .mode = "bridge", .netns_name = "a1",
		.driver = "docker", .handle = "\x01\x02\x00\x03", .handle_len = 4,
		.conflist = "{\"name\":\"nomad\"}", .runtime_config = "{}", .owner_pid = 42,
		.owner_start = 123456789012ULL,
	};
	cr_assert_eq(drover_state_network_put(st, &n, &err), 0, "%s", err.message);
	drover_state_network got;
	cr_assert_eq(drover_state_network_get(st, "a1", &got, &err), 0, "%s", err.message);
	cr_assert_str_eq(got.state, "adding");
	cr_assert_str_eq(got.driver, "docker");
	cr_assert_eq(got.handle_len, 4);
	cr_assert_eq(memcmp(got.handle, "\x01\x02\x00\x03", 4), 0, "the handle keeps its NUL byte");
	cr_assert_null(got.result);
	cr_assert_eq(got.owner_pid, 42);
	cr_assert_eq(got.owner_start, 123456789012ULL);
	drover_state_network_clear(&got);

	n.state = "ready";
	n.result = "{\"ips\":[]}";
	n.address = "172.26.64.2";
	cr_assert_eq(drover_state_network_put(st, &n, &err), 0, "%s", err.message);
	cr_assert_eq(drover_state_network_get(st, "a1", &got, &err), 0);
	cr_assert_str_eq(got.state, "ready");
	cr_assert_str_eq(got.address, "172.26.64.2");
	drover_state_network_clear(&got);

	/* No allocation row exists, and deleting one would not take it along:
	 * only its own teardown removes it. */
	cr_assert_eq(drover_state_alloc_delete(st, "a1", &err), 0);
	drover_state_network *list;
	size_t count;
	cr_assert_eq(drover_state_network_list(st, &list, &count, &err), 0);
	cr_assert_eq(count, 1);
	cr_assert_str_eq(list[0].alloc_id, "a1");
	drover_state_networks_free(list, count);

	cr_assert_eq(drover_state_network_delete(st, "a1", &err), 0);
	cr_assert_eq(drover_state_network_get(st, "a1", &got, &err), -ENOENT);
	cr_assert_eq(drover_state_network_delete(st, "a1", &err), 0, "deleting twice is fine");
	drover_state_close(st);
}

Test(network_store, a_version_5_database_gains_the_table)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/state.db", root);
	drover_state *st = open_store();
	drover_state_close(st);
	/* As a drover of schema 5 left it. */
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "DROP TABLE alloc_networks; PRAGMA user_version = 5", NULL,
	                          NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_store();
	drover_err err = {{0}};
	drover_state_network n = {.alloc_id = "b", .state = "adding", .mode = "none",
	                          .netns_name = "b"};
	cr_assert_eq(drover_state_network_put(st, &n, &err), 0, "%s", err.message);
	drover_state_close(st);
}

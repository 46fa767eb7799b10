#include "config.h"

#include "network_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../state_internal.h"
#include "../util.h"

#define COLUMNS                                                                          \
	"alloc_id, state, mode, netns_name, driver, handle, conflist, runtime_config, result," \
	" address, owner_pid, owner_start"

int drover_state_network_put(drover_state *st, const drover_state_network *n, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                       "INSERT OR REPLACE INTO alloc_networks (" COLUMNS ", created_ms)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	                       err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, n->alloc_id);
	state_bind_text(s, 2, n->state);
	state_bind_text(s, 3, n->mode);
	state_bind_text(s, 4, n->netns_name);
	state_bind_text(s, 5, n->driver);
	if (n->handle && n->handle_len)
		sqlite3_bind_blob(s, 6, n->handle, (int)n->handle_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 6);
	state_bind_text(s, 7, n->conflist);
	state_bind_text(s, 8, n->runtime_config);
	state_bind_text(s, 9, n->result);
	state_bind_text(s, 10, n->address);
	sqlite3_bind_int(s, 11, n->owner_pid);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)n->owner_start);
	sqlite3_bind_int64(s, 13, drover_now_ms());
	return state_step_done(st, s, "recording an allocation's network", err);
}

static int read_row(sqlite3_stmt *s, drover_state_network *n)
{
	*n = (drover_state_network){0};
	n->alloc_id = state_column_text(s, 0);
	n->state = state_column_text(s, 1);
	n->mode = state_column_text(s, 2);
	n->netns_name = state_column_text(s, 3);
	n->driver = state_column_text(s, 4);
	const void *blob = sqlite3_column_blob(s, 5);
	int len = sqlite3_column_bytes(s, 5);
	if (blob && len > 0 && (n->handle = malloc((size_t)len))) {
		memcpy(n->handle, blob, (size_t)len);
		n->handle_len = (size_t)len;
	}
	n->conflist = state_column_text(s, 6);
	n->runtime_config = state_column_text(s, 7);
	n->result = state_column_text(s, 8);
	n->address = state_column_text(s, 9);
	n->owner_pid = sqlite3_column_int(s, 10);
	n->owner_start = (unsigned long long)sqlite3_column_int64(s, 11);
	if (!n->alloc_id || !n->state || !n->mode || !n->netns_name) {
		drover_state_network_clear(n);
		return -ENOMEM;
	}
	return 0;
}

int drover_state_network_get(drover_state *st, const char *alloc_id, drover_state_network *out,
                             drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "SELECT " COLUMNS " FROM alloc_networks WHERE alloc_id = ?1",
	                       err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		rc = read_row(s, out) < 0 ? drover_err_set(err, -ENOMEM, "out of memory") : 0;
	else if (step == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = state_db_error(st, err, "reading an allocation's network");
	sqlite3_finalize(s);
	return rc;
}

int drover_state_network_list(drover_state *st, drover_state_network **out, size_t *count,
                              drover_err *err)
{
	*out = NULL;
	*count = 0;
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "SELECT " COLUMNS " FROM alloc_networks ORDER BY alloc_id", err);
	if (rc < 0)
		return rc;
	drover_state_network *list = NULL;
	size_t n = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		drover_state_network *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown || read_row(s, &grown[n]) < 0) {
			if (grown)
				list = grown;
			rc = drover_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		list = grown;
		n++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = state_db_error(st, err, "reading the allocations' networks");
	sqlite3_finalize(s);
	if (rc < 0) {
		drover_state_networks_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

int drover_state_network_delete(drover_state *st, const char *alloc_id, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "DELETE FROM alloc_networks WHERE alloc_id = ?1", err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	return state_step_done(st, s, "removing an allocation's network", err);
}

void drover_state_network_clear(drover_state_network *n)
{
	free(n->alloc_id);
	free(n->state);
	free(n->mode);
	free(n->netns_name);
	free(n->driver);
	free(n->handle);
	free(n->conflist);
	free(n->runtime_config);
	free(n->result);
	free(n->address);
	*n = (drover_state_network){0};
}

void drover_state_networks_free(drover_state_network *n, size_t count)
{
	for (size_t i = 0; i < count; i++)
		drover_state_network_clear(&n[i]);
	free(n);
}

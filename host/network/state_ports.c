/* Host ports in the state store: which allocation holds which port, so that
 * two drover processes (two `run -detach`, an agent and a runner) never hand
 * the same port to two live allocations, and a resumed allocation keeps its
 * ports. The port is the table's primary key: the database itself refuses a
 * second holder, whatever process asks. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../state_internal.h"
#include "../util.h"

/* An allocation is live while one of its tasks is not dead. */
#define LIVE_HOLDER                                                                      \
	"EXISTS (SELECT 1 FROM tasks WHERE tasks.alloc_id = ports.alloc_id"            \
	" AND tasks.state IS NOT 'dead')"

/* Who holds `port` now, for the message. */
static void holder_of(drover_state *st, int port, char *out, size_t len)
{
	sqlite3_stmt *s;
	drover_err ignored = {{0}};
	snprintf(out, len, "another allocation");
	if (state_prepare(st, &s, "SELECT alloc_id, task, label FROM ports WHERE port = ?1",
	                  &ignored) < 0)
		return;
	sqlite3_bind_int(s, 1, port);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *alloc = (const char *)sqlite3_column_text(s, 0);
		const char *task = (const char *)sqlite3_column_text(s, 1);
		const char *label = (const char *)sqlite3_column_text(s, 2);
		snprintf(out, len, "allocation \"%s\"%s%s%s (label \"%s\")", alloc ? alloc : "?",
		         task && task[0] ? ", task \"" : "", task && task[0] ? task : "",
		         task && task[0] ? "\"" : "", label ? label : "?");
	}
	sqlite3_finalize(s);
}

int drover_state_ports_claim(drover_state *st, const char *alloc_id, const char *task,
                             const drover_state_port *ports, size_t count, size_t *conflict,
                             drover_err *err)
{
	int rc = state_exec_sql(st, "BEGIN IMMEDIATE", "locking to claim ports", err);
	if (rc < 0)
		return rc;
	/* A claim replaces what (alloc, task) held before: a task's ports are
	 * claimed again when it is prepared anew. */
	sqlite3_stmt *s;
	if ((rc = state_prepare(st, &s, "DELETE FROM ports WHERE alloc_id = ?1 AND task = ?2",
	                        err)) == 0) {
		state_bind_text(s, 1, alloc_id);
		state_bind_text(s, 2, task);
		rc = state_step_done(st, s, "releasing earlier ports", err);
	}
	for (size_t i = 0; rc == 0 && i < count; i++) {
		rc = state_prepare(st, &s,
		                   "INSERT INTO ports (port, alloc_id, task, label, to_port)"
		                   " VALUES (?1, ?2, ?3, ?4, ?5)"
		                   " ON CONFLICT (port) DO UPDATE SET alloc_id = excluded.alloc_id,"
		                   " task = excluded.task, label = excluded.label,"
		                   " to_port = excluded.to_port WHERE NOT " LIVE_HOLDER,
		                   err);
		if (rc < 0)
			break;
		sqlite3_bind_int(s, 1, ports[i].value);
		state_bind_text(s, 2, alloc_id);
		state_bind_text(s, 3, task);
		state_bind_text(s, 4, ports[i].label);
		sqlite3_bind_int(s, 5, ports[i].to);
		if ((rc = state_step_done(st, s, "claiming a port", err)) < 0)
			break;
		if (sqlite3_changes(st->db) == 0) {
			char holder[256];
			holder_of(st, ports[i].value, holder, sizeof(holder));
			if (conflict)
				*conflict = i;
			rc = drover_err_set(err, -EADDRINUSE, "port %d (label \"%s\") is held by %s",
			                    ports[i].value, ports[i].label, holder);
		}
	}
	if (rc < 0) {
		drover_err ignored = {{0}};
		state_exec_sql(st, "ROLLBACK", "rolling back a port claim", &ignored);
		return rc;
	}
	return state_exec_sql(st, "COMMIT", "committing a port claim", err);
}

int drover_state_ports_get(drover_state *st, const char *alloc_id, const char *task,
                           drover_state_port **out, size_t *count, drover_err *err)
{
	*out = NULL;
	*count = 0;
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                       "SELECT label, port, to_port FROM ports WHERE alloc_id = ?1 AND"
	                       " task = ?2 ORDER BY label",
	                       err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	drover_state_port *list = NULL;
	size_t n = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		drover_state_port *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			rc = drover_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		list = grown;
		list[n] = (drover_state_port){
			.label = state_column_text(s, 0),
			.value = sqlite3_column_int(s, 1),
			.to = sqlite3_column_int(s, 2),
		};
		if (!list[n++].label) {
			rc = drover_err_set(err, -EUCLEAN, "state database \"%s\": allocation \"%s\": a "
			                    "port row without a label", drover_state_path(st), alloc_id);
			break;
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = state_db_error(st, err, "reading ports");
	sqlite3_finalize(s);
	if (rc < 0) {
		drover_state_ports_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

int drover_state_ports_in_use(drover_state *st, int **ports, size_t *count, drover_err *err)
{
	*ports = NULL;
	*count = 0;
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "SELECT port FROM ports WHERE " LIVE_HOLDER, err);
	if (rc < 0)
		return rc;
	int *list = NULL;
	size_t n = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			rc = drover_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		list = grown;
		list[n++] = sqlite3_column_int(s, 0);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = state_db_error(st, err, "reading the ports in use");
	sqlite3_finalize(s);
	if (rc < 0) {
		free(list);
		return rc;
	}
	*ports = list;
	*count = n;
	return 0;
}

void drover_state_ports_free(drover_state_port *ports, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(ports[i].label);
	free(ports);
}

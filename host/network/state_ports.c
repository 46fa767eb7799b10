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
#include "state_ports.h"

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

/* Replaces what (alloc, task) held with `ports`, inside the caller's
 * transaction: a port a live allocation holds is -EADDRINUSE. */
static int claim_rows(drover_state *st, const char *alloc_id, const char *task,
                      const drover_state_port *ports, size_t count, size_t *conflict,
                      drover_err *err)
{
	/* A claim replaces what (alloc, task) held before: a task's ports are
	 * claimed again when it is prepared anew. */
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "DELETE FROM ports WHERE alloc_id = ?1 AND task = ?2", err);
	if (rc == 0) {
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
	return rc;
}

/* Ends the transaction state_tx_begin opened (a savepoint inside the
 * runner's batch): commit after success, else roll back and `rc`. */
static int finish(drover_state *st, int nested, int rc, drover_err *err)
{
	if (rc < 0) {
		state_tx_end(st, nested, 0, NULL, NULL);
		return rc;
	}
	return state_tx_end(st, nested, 1, "committing a port claim", err);
}

int drover_state_ports_claim(drover_state *st, const char *alloc_id, const char *task,
                             const drover_state_port *ports, size_t count, size_t *conflict,
                             drover_err *err)
{
	int nested;
	int rc = state_tx_begin(st, "locking to claim ports", &nested, err);
	if (rc < 0)
		return rc;
	return finish(st, nested, claim_rows(st, alloc_id, task, ports, count, conflict, err), err);
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

/* Every port a live allocation holds, but those of (alloc, task) itself:
 * what it held before is replaced by the claim, not competed with. */
static int live_ports(drover_state *st, const char *alloc_id, const char *task,
                      drover_port_set *set, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                       "SELECT port FROM ports WHERE " LIVE_HOLDER
	                       " AND NOT (alloc_id = ?1 AND task = ?2)",
	                       err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		drover_port_set_add(set, sqlite3_column_int(s, 0));
	if (step != SQLITE_DONE)
		rc = state_db_error(st, err, "reading the ports in use");
	sqlite3_finalize(s);
	return rc;
}

/* Fills `ports` (a copy of the job's) with what (alloc, task) recorded: 1
 * when every label has a recorded port, 0 when not (none recorded, or the
 * job's labels changed: the ports are chosen anew). */
static int read_back(drover_state *st, const char *alloc_id, const char *task,
                     drover_alloc_ports *ports, drover_err *err)
{
	drover_state_port *rows = NULL;
	size_t n = 0;
	int rc = drover_state_ports_get(st, alloc_id, task, &rows, &n, err);
	if (rc < 0)
		return rc;
	int found = n == ports->count;
	for (size_t i = 0; found && i < ports->count; i++) {
		drover_port *p = &ports->ports[i];
		found = 0;
		for (size_t k = 0; p->label && k < n && !found; k++)
			if (strcmp(p->label, rows[k].label) == 0) {
				p->value = rows[k].value;
				found = 1;
			}
	}
	drover_state_ports_free(rows, n);
	return found;
}

/* The store's rows for `ports` (labels borrowed). */
static drover_state_port *rows_of(const drover_alloc_ports *ports)
{
	drover_state_port *rows = calloc(ports->count ? ports->count : 1, sizeof(*rows));
	for (size_t i = 0; rows && i < ports->count; i++)
		rows[i] = (drover_state_port){.label = ports->ports[i].label,
		                              .value = ports->ports[i].value,
		                              .to = ports->ports[i].to};
	return rows;
}

static int choose_and_claim(drover_state *st, const drover_ports_config *cfg,
                            const drover_port *want, size_t count, const char *where,
                            const char *alloc_id, const char *task, drover_alloc_ports *out,
                            drover_err *err)
{
	drover_port_set *taken = calloc(1, sizeof(*taken));
	if (!taken)
		return drover_err_set(err, -ENOMEM, "%s: out of memory", where);
	int rc = live_ports(st, alloc_id, task, taken, err);
	if (rc == 0)
		rc = drover_ports_assign(cfg, want, count, taken, where, out, err);
	free(taken);
	if (rc < 0)
		return rc;
	drover_state_port *rows = rows_of(out);
	drover_err claim_err = {{0}};
	rc = rows ? claim_rows(st, alloc_id, task, rows, out->count, NULL, &claim_err) : -ENOMEM;
	free(rows);
	if (rc < 0) {
		drover_alloc_ports_clear(out);
		return drover_err_set(err, rc, "%s: %s", where,
		                      claim_err.message[0] ? claim_err.message : strerror(-rc));
	}
	return 0;
}

int drover_state_ports_take(drover_state *st, const drover_ports_config *cfg,
                            const drover_port *want, size_t count, drover_port_set *in_use,
                            const char *where, const char *alloc_id, const char *task,
                            drover_alloc_ports *out, drover_err *err)
{
	drover_alloc_ports result = {0};
	if (drover_alloc_ports_copy(want, count, cfg->host_ip, &result) < 0)
		return drover_err_set(err, -ENOMEM, "%s: out of memory", where);
	/* IMMEDIATE: no other process can claim between our choice and our
	 * record, so the first choice stands. */
	int nested;
	int rc = state_tx_begin(st, "locking to take ports", &nested, err);
	if (rc < 0) {
		drover_alloc_ports_clear(&result);
		return rc;
	}
	rc = read_back(st, alloc_id, task, &result, err);
	if (rc == 0) {
		drover_alloc_ports_clear(&result);
		rc = choose_and_claim(st, cfg, want, count, where, alloc_id, task, &result, err);
	}
	if ((rc = finish(st, nested, rc < 0 ? rc : 0, err)) < 0) {
		drover_alloc_ports_clear(&result);
		return rc;
	}
	for (size_t i = 0; in_use && i < result.count; i++)
		drover_port_set_add(in_use, result.ports[i].value);
	*out = result;
	return 0;
}

/* Inside the state store: what its modules (state_store.c, network/state_ports.c)
 * share. Nothing outside host/state_*.c and host/network/state_ports.c
 * includes this. */
#ifndef DROVER_HOST_STATE_INTERNAL_H
#define DROVER_HOST_STATE_INTERNAL_H

#include <sqlite3.h>

#include "state_store.h"

struct drover_state {
	sqlite3 *db;
	char *path;
};

/* An SQLite failure as a negative errno and a message naming the database
 * file and `what` was being done. */
int state_db_error(drover_state *st, drover_err *err, const char *what);
int state_exec_sql(drover_state *st, const char *sql, const char *what, drover_err *err);
int state_prepare(drover_state *st, sqlite3_stmt **stmt, const char *sql, drover_err *err);
/* Runs a statement that returns no rows and finalizes it. */
int state_step_done(drover_state *st, sqlite3_stmt *stmt, const char *what, drover_err *err);
void state_bind_text(sqlite3_stmt *s, int i, const char *v);
char *state_column_text(sqlite3_stmt *s, int i);

/* A write transaction that nests: BEGIN IMMEDIATE on its own, a savepoint
 * inside a batch a caller opened (drover_state_batch_begin), so that the
 * functions that need their own transaction also work inside a batch.
 * `*nested` tells state_tx_end which one it was. */
int state_tx_begin(drover_state *st, const char *what, int *nested, drover_err *err);
/* Commits (ok) or rolls back (!ok) what state_tx_begin opened. */
int state_tx_end(drover_state *st, int nested, int ok, const char *what, drover_err *err);

#endif

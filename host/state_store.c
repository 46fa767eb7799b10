#include "config.h"

#include "state_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include "proc.h"
#include "state_internal.h"
#include "util.h"


/* Each entry brings a database from version i to i + 1; never edit a shipped
 * one, append a new step instead. */
static const char *const migrations[] = {
	/* 0 -> 1: allocations and tasks */
	"CREATE TABLE allocations ("
	" id TEXT PRIMARY KEY, job_id TEXT, job_name TEXT, job_json TEXT, group_name TEXT,"
	" alloc_index INTEGER, alloc_name TEXT, alloc_dir TEXT, desired_status TEXT,"
	" client_status TEXT, created_ms INTEGER, modified_ms INTEGER);"
	"CREATE TABLE tasks ("
	" alloc_id TEXT NOT NULL REFERENCES allocations(id) ON DELETE CASCADE, name TEXT NOT NULL,"
	" driver TEXT, state TEXT, pid INTEGER, handle BLOB, exit_code INTEGER, signal INTEGER,"
	" oom_killed INTEGER, failed INTEGER, restarts INTEGER, started_ms INTEGER,"
	" finished_ms INTEGER, PRIMARY KEY (alloc_id, name));",
	/* 1 -> 2: task events */
	"CREATE TABLE events ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" alloc_id TEXT NOT NULL REFERENCES allocations(id) ON DELETE CASCADE, task TEXT NOT NULL,"
	" time_ms INTEGER, type TEXT, message TEXT);"
	"CREATE INDEX events_by_task ON events(alloc_id, task, seq);",
	/* 2 -> 3: the process watching each allocation (0: none) */
	"ALTER TABLE allocations ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE allocations ADD COLUMN owner_start INTEGER NOT NULL DEFAULT 0;",
	/* 3 -> 4: host ports, each held by one allocation (task "": the group's) */
	"CREATE TABLE ports ("
	" port INTEGER PRIMARY KEY,"
	" alloc_id TEXT NOT NULL REFERENCES allocations(id) ON DELETE CASCADE,"
	" task TEXT NOT NULL, label TEXT NOT NULL, to_port INTEGER NOT NULL);"
	"CREATE INDEX ports_by_owner ON ports(alloc_id, task);",
	/* 4 -> 5: intent before effect. A start is recorded (state 'starting',
	 * attempt, where the shim keeps its state, then the shim's pid once it
	 * exists) before the driver runs; a pending restart keeps its due time;
	 * drivers that crashed the host are remembered for quarantine. */
	"ALTER TABLE tasks ADD COLUMN start_attempt INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN state_dir TEXT;"
	"ALTER TABLE tasks ADD COLUMN shim_pid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN shim_start INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN restart_due_ms INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE driver_faults ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT, driver TEXT NOT NULL, plugin TEXT NOT NULL,"
	" call TEXT NOT NULL, signal INTEGER NOT NULL, time_ms INTEGER NOT NULL);",
	/* 5 -> 6: group network namespaces (host/network/network_store.c). Not
	 * tied to the allocation row: a namespace outlives an allocation that
	 * is forgotten or collected until its CNI DEL has run. */
	"CREATE TABLE alloc_networks ("
	" alloc_id TEXT PRIMARY KEY, state TEXT NOT NULL, mode TEXT NOT NULL,"
	" netns_name TEXT NOT NULL, driver TEXT, handle BLOB, conflist TEXT,"
	" runtime_config TEXT, result TEXT, address TEXT,"
	" owner_pid INTEGER NOT NULL DEFAULT 0, owner_start INTEGER NOT NULL DEFAULT 0,"
	" created_ms INTEGER NOT NULL DEFAULT 0);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == DROVER_STATE_SCHEMA_VERSION,
               "one migration per schema version");

int state_db_error(drover_state *st, drover_err *err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	int rc = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ? -EBUSY
	         : (code & 0xff) == SQLITE_NOMEM                               ? -ENOMEM
	         : (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB ? -EUCLEAN
	         : (code & 0xff) == SQLITE_READONLY || (code & 0xff) == SQLITE_PERM ? -EACCES
	                                                                     : -EIO;
	return drover_err_set(err, rc, "state database \"%s\": %s: %s", st->path, what,
	                      sqlite3_errmsg(st->db));
}

int state_exec_sql(drover_state *st, const char *sql, const char *what, drover_err *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return state_db_error(st, err, what);
	return 0;
}

int state_prepare(drover_state *st, sqlite3_stmt **stmt, const char *sql, drover_err *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return state_db_error(st, err, "preparing a statement");
	return 0;
}

/* Runs a statement that returns no rows and finalizes it. */
int state_step_done(drover_state *st, sqlite3_stmt *stmt, const char *what, drover_err *err)
{
	int rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : state_db_error(st, err, what);
	sqlite3_finalize(stmt);
	return rc;
}

void state_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

int state_tx_begin(drover_state *st, const char *what, int *nested, drover_err *err)
{
	*nested = !sqlite3_get_autocommit(st->db);
	return state_exec_sql(st, *nested ? "SAVEPOINT drover_tx" : "BEGIN IMMEDIATE", what, err);
}

int state_tx_end(drover_state *st, int nested, int ok, const char *what, drover_err *err)
{
	if (ok)
		return state_exec_sql(st, nested ? "RELEASE drover_tx" : "COMMIT", what, err);
	state_exec_sql(st, nested ? "ROLLBACK TO drover_tx; RELEASE drover_tx" : "ROLLBACK",
	               "rollback", NULL);
	return 0;
}

int drover_state_batch_begin(drover_state *st, int *nested, drover_err *err)
{
	return state_tx_begin(st, "locking for a batch of writes", nested, err);
}

int drover_state_batch_end(drover_state *st, int nested, drover_err *err)
{
	int rc = state_tx_end(st, nested, 1, "committing a batch of writes", err);
	if (rc < 0)
		state_tx_end(st, nested, 0, NULL, NULL);
	return rc;
}

int drover_state_snapshot_begin(drover_state *st, drover_err *err)
{
	return state_exec_sql(st, "BEGIN", "starting a read transaction", err);
}

void drover_state_snapshot_end(drover_state *st)
{
	state_exec_sql(st, "COMMIT", "ending a read transaction", NULL);
}

static int user_version(drover_state *st, int *out, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "PRAGMA user_version", err);
	if (rc < 0)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = state_db_error(st, err, "reading the schema version");
		sqlite3_finalize(s);
		return rc;
	}
	*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int migrate(drover_state *st, drover_err *err)
{
	int version, rc;
	if ((rc = user_version(st, &version, err)) < 0)
		return rc;
	if (version > DROVER_STATE_SCHEMA_VERSION)
		goto newer;
	if (version == DROVER_STATE_SCHEMA_VERSION)
		return 0;
	/* IMMEDIATE: two processes opening an old database at once must not both
	 * migrate it; the second one re-reads the version inside the lock. */
	if ((rc = state_exec_sql(st, "BEGIN IMMEDIATE", "locking for the schema migration", err)) < 0)
		return rc;
	if ((rc = user_version(st, &version, err)) < 0)
		goto rollback;
	if (version > DROVER_STATE_SCHEMA_VERSION) {
		state_exec_sql(st, "ROLLBACK", "rollback", NULL);
		goto newer;
	}
	for (int v = version; v < DROVER_STATE_SCHEMA_VERSION; v++) {
		char what[64];
		snprintf(what, sizeof(what), "migrating the schema from version %d to %d", v, v + 1);
		if ((rc = state_exec_sql(st, migrations[v], what, err)) < 0)
			goto rollback;
	}
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", DROVER_STATE_SCHEMA_VERSION);
	if ((rc = state_exec_sql(st, pragma, "setting the schema version", err)) < 0)
		goto rollback;
	return state_exec_sql(st, "COMMIT", "committing the schema migration", err);
rollback:
	state_exec_sql(st, "ROLLBACK", "rollback", NULL);
	return rc;
newer:
	return drover_err_set(err, -EPROTO,
	                      "state database \"%s\" has schema version %d, newer than this drover's "
	                      "%d: it was written by a newer drover; use that version, or move the "
	                      "file away",
	                      st->path, version, DROVER_STATE_SCHEMA_VERSION);
}

static int setup_lock(drover_state *st, int *fd_out, drover_err *err)
{
	_cleanup_(drover_freep) char *path = drover_strdup_printf("%s.lock", st->path);
	if (!path)
		return drover_err_set(err, -ENOMEM, "out of memory");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open the lock file \"%s\": %s", path,
		                      strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int rc = -errno;
			close(fd);
			return drover_err_set(err, rc, "cannot lock \"%s\": %s", path, strerror(-rc));
		}
	}
	*fd_out = fd;
	return 0;
}

/* The database holds every job's document: task Env values, registry
 * passwords. It is made 0600 before SQLite opens it (SQLite then gives its
 * -wal and -shm files the database's mode), and files left by an older drover
 * with wider modes are narrowed. */
static int state_files_private(const char *path, drover_err *err)
{
	static const char *const suffixes[] = { "-wal", "-shm", ".lock" };
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
	struct stat sb;

	if (fd < 0)
		return drover_err_set(err, -errno, "cannot open the state database \"%s\": %s", path,
		                      strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)) {
		int rc = S_ISREG(sb.st_mode) ? -errno : -EINVAL;
		close(fd);
		return drover_err_set(err, rc, "cannot make the state database \"%s\" private (a "
		                      "regular file of mode 0600): %s",
		                      path, strerror(-rc));
	}
	close(fd);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		_cleanup_(drover_freep) char *side = drover_strdup_printf("%s%s", path, suffixes[i]);
		if (!side)
			return drover_err_set(err, -ENOMEM, "out of memory");
		int sfd = open(side, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
		if (sfd < 0)
			continue; /* not there yet: created with the database's mode */
		if (fstat(sfd, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077))
			fchmod(sfd, 0600);
		close(sfd);
	}
	return 0;
}

int drover_state_open_file(const char *path, drover_state **out, drover_err *err)
{
	int prc = state_files_private(path, err);
	if (prc < 0)
		return prc;
	drover_state *st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return drover_err_set(err, -ENOMEM, "out of memory");
	}
	int rc = sqlite3_open_v2(path, &st->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	                         NULL);
	if (rc != SQLITE_OK) {
		rc = st->db ? state_db_error(st, err, "opening")
		            : drover_err_set(err, -ENOMEM, "state database \"%s\": out of memory", path);
		drover_state_close(st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* Switching a new database to WAL does not wait on the busy handler: two
	 * processes creating it at once would see "database is locked". A lock on a
	 * side file serializes the set-up (blocking in the kernel, no retry loop). */
	int lock_fd = -1;
	if ((rc = setup_lock(st, &lock_fd, err)) < 0) {
		drover_state_close(st);
		return rc;
	}
	if ((rc = state_exec_sql(st, "PRAGMA journal_mode = WAL", "switching to WAL", err)) < 0 ||
	    (rc = state_exec_sql(st, "PRAGMA foreign_keys = ON", "enabling foreign keys", err)) < 0 ||
	    (rc = state_exec_sql(st, "PRAGMA synchronous = NORMAL", "setting synchronous", err)) < 0 ||
	    (rc = migrate(st, err)) < 0) {
		close(lock_fd);
		drover_state_close(st);
		return rc;
	}
	close(lock_fd);
	*out = st;
	return 0;
}

int drover_state_open(const char *data_dir, drover_state **out, drover_err *err)
{
	int rc = drover_data_dir_prepare(data_dir);
	if (rc < 0)
		return drover_err_set(err, rc, "cannot create the data dir \"%s\": %s", data_dir,
		                      strerror(-rc));
	_cleanup_(drover_freep) char *path = drover_strdup_printf("%s/%s", data_dir, DROVER_STATE_FILE);
	if (!path)
		return drover_err_set(err, -ENOMEM, "out of memory");
	return drover_state_open_file(path, out, err);
}

void drover_state_close(drover_state *st)
{
	if (!st)
		return;
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

const char *drover_state_path(const drover_state *st)
{
	return st->path;
}

/* ------------------------------------------------------------ allocations */

int drover_state_alloc_put(drover_state *st, const drover_state_alloc *a, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "INSERT OR REPLACE INTO allocations (id, job_id, job_name, job_json,"
	                 " group_name, alloc_index, alloc_name, alloc_dir, desired_status,"
	                 " client_status, created_ms, modified_ms, owner_pid, owner_start)"
	                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, a->id);
	state_bind_text(s, 2, a->job_id);
	state_bind_text(s, 3, a->job_name);
	state_bind_text(s, 4, a->job_json);
	state_bind_text(s, 5, a->group_name);
	sqlite3_bind_int(s, 6, a->alloc_index);
	state_bind_text(s, 7, a->alloc_name);
	state_bind_text(s, 8, a->alloc_dir);
	state_bind_text(s, 9, a->desired_status ? a->desired_status : "run");
	state_bind_text(s, 10, a->client_status ? a->client_status : "pending");
	sqlite3_bind_int64(s, 11, a->created_ms ? a->created_ms : drover_now_ms());
	sqlite3_bind_int64(s, 12, a->modified_ms ? a->modified_ms : drover_now_ms());
	sqlite3_bind_int(s, 13, a->owner_pid);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)a->owner_start);
	return state_step_done(st, s, "recording an allocation", err);
}

int drover_state_alloc_set_status(drover_state *st, const char *id, const char *desired,
                                  const char *client, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE allocations SET desired_status = coalesce(?2, desired_status),"
	                 " client_status = coalesce(?3, client_status), modified_ms = ?4"
	                 " WHERE id = ?1",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, id);
	state_bind_text(s, 2, desired);
	state_bind_text(s, 3, client);
	sqlite3_bind_int64(s, 4, drover_now_ms());
	if ((rc = state_step_done(st, s, "updating an allocation", err)) < 0)
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return drover_err_set(err, -ENOENT, "no allocation \"%s\" in \"%s\"", id, st->path);
	return 0;
}

char *state_column_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

#define ALLOC_COLUMNS                                                                   \
	"id, job_id, job_name, job_json, group_name, alloc_index, alloc_name, alloc_dir," \
	" desired_status, client_status, created_ms, modified_ms, owner_pid, owner_start"

/* A row with a missing value the commands cannot do without is kept, with
 * `problem` saying what is wrong, so one damaged row never hides the others. */
static void read_alloc(sqlite3_stmt *s, drover_state_alloc *a)
{
	static const char *const names[] = {"id", "job_id", "job_name", "job_json", "group_name",
	                                    "alloc_index", "alloc_name", "alloc_dir"};
	*a = (drover_state_alloc){0};
	a->id = state_column_text(s, 0);
	a->job_id = state_column_text(s, 1);
	a->job_name = state_column_text(s, 2);
	a->job_json = state_column_text(s, 3);
	a->group_name = state_column_text(s, 4);
	a->alloc_index = sqlite3_column_int(s, 5);
	a->alloc_name = state_column_text(s, 6);
	a->alloc_dir = state_column_text(s, 7);
	a->desired_status = state_column_text(s, 8);
	a->client_status = state_column_text(s, 9);
	a->created_ms = sqlite3_column_int64(s, 10);
	a->modified_ms = sqlite3_column_int64(s, 11);
	a->owner_pid = sqlite3_column_int(s, 12);
	a->owner_start = (unsigned long long)sqlite3_column_int64(s, 13);
	for (int i = 0; i < 8 && !a->problem; i++)
		if (sqlite3_column_type(s, i) == SQLITE_NULL)
			a->problem = drover_strdup_printf("column \"%s\" has no value", names[i]);
	if (!a->problem && sqlite3_column_type(s, 5) != SQLITE_INTEGER)
		a->problem = drover_strdup_printf("column \"alloc_index\" is not an integer");
	if (!a->id)
		a->id = strdup("?");
	if (!a->desired_status)
		a->desired_status = strdup("run");
	if (!a->client_status)
		a->client_status = strdup("unknown");
}

int drover_state_alloc_get(drover_state *st, const char *id, drover_state_alloc *out,
                           drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "SELECT " ALLOC_COLUMNS " FROM allocations WHERE id = ?1", err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, id);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		read_alloc(s, out);
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = drover_err_set(err, -ENOENT, "no allocation \"%s\" in \"%s\"", id, st->path);
	} else {
		rc = state_db_error(st, err, "reading an allocation");
	}
	sqlite3_finalize(s);
	return rc;
}

int drover_state_alloc_resolve(drover_state *st, const char *prefix, char **id, drover_err *err)
{
	if (!prefix || !*prefix || strlen(prefix) > 36 || strspn(prefix, "0123456789abcdef-") != strlen(prefix))
		return drover_err_set(err, -EINVAL,
		                      "\"%.64s\" is not an allocation id or id prefix (hexadecimal "
		                      "digits and dashes)",
		                      prefix ? prefix : "");
	sqlite3_stmt *s;
	/* substr instead of LIKE: no wildcard in the prefix can widen the match. */
	int rc = state_prepare(st, &s,
	                 "SELECT id FROM allocations WHERE substr(id, 1, length(?1)) = ?1"
	                 " ORDER BY created_ms LIMIT 6",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, prefix);
	char *found[6];
	size_t n = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW && n < 6)
		found[n++] = state_column_text(s, 0);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = state_db_error(st, err, "looking up an allocation");
	sqlite3_finalize(s);
	if (rc == 0 && n == 0)
		rc = drover_err_set(err, -ENOENT, "no allocation with id or prefix \"%s\" (see `drover status`)",
		                    prefix);
	if (rc == 0 && n > 1)
		rc = drover_err_set(err, -EEXIST,
		                    "allocation prefix \"%s\" is ambiguous: it matches %s, %s%s; give "
		                    "more characters",
		                    prefix, found[0] ? found[0] : "?", found[1] ? found[1] : "?",
		                    n > 2 ? " and more" : "");
	if (rc == 0) {
		*id = found[0];
		if (!*id)
			rc = drover_err_set(err, -ENOMEM, "out of memory");
		found[0] = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(found[i]);
	return rc;
}

int drover_state_alloc_ids(drover_state *st, char ***out, size_t *count, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "SELECT id FROM allocations WHERE id IS NOT NULL ORDER BY id",
	                       err);
	if (rc < 0)
		return rc;
	char **ids = NULL;
	size_t n = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **grown = realloc(ids, ncap * sizeof(*ids));
			if (!grown) {
				rc = drover_err_set(err, -ENOMEM, "out of memory");
				break;
			}
			ids = grown;
			cap = ncap;
		}
		if (!(ids[n] = state_column_text(s, 0))) {
			rc = drover_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = state_db_error(st, err, "listing allocation ids");
	sqlite3_finalize(s);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
		return rc;
	}
	*out = ids;
	*count = n;
	return 0;
}

int drover_state_alloc_list(drover_state *st, drover_state_alloc **out, size_t *count,
                            drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "SELECT " ALLOC_COLUMNS " FROM allocations ORDER BY created_ms, id",
	                 err);
	if (rc < 0)
		return rc;
	drover_state_alloc *list = NULL;
	size_t n = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		drover_state_alloc *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			rc = drover_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		list = grown;
		read_alloc(s, &list[n++]);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = state_db_error(st, err, "listing allocations");
	sqlite3_finalize(s);
	if (rc < 0) {
		drover_state_allocs_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

int drover_state_alloc_refresh_status(drover_state *st, const char *id, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE allocations SET modified_ms = ?2, client_status = ("
	                 " SELECT CASE WHEN count(*) = 0 THEN client_status"
	                 "  WHEN sum(state IN ('running', 'starting')) > 0 THEN 'running'"
	                 "  WHEN sum(state = 'pending') = count(*) THEN 'pending'"
	                 "  WHEN sum(state = 'pending') > 0 THEN 'running'"
	                 "  WHEN sum(failed) > 0 THEN 'failed' ELSE 'complete' END"
	                 " FROM tasks WHERE alloc_id = ?1) WHERE id = ?1",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, drover_now_ms());
	return state_step_done(st, s, "updating an allocation's status", err);
}

int drover_state_alloc_delete(drover_state *st, const char *id, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "DELETE FROM allocations WHERE id = ?1", err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, id);
	return state_step_done(st, s, "removing an allocation", err);
}

int drover_state_owner_alive(int pid, unsigned long long start)
{
	return pid > 0 && start != 0 && drover_proc_alive(pid, start);
}

int drover_state_alloc_claim(drover_state *st, const char *id, int pid, unsigned long long start,
                             int *owner_pid, drover_err *err)
{
	/* IMMEDIATE: two processes claiming one allocation queue here, and the
	 * second one sees the first one's claim. */
	int nested;
	int rc = state_tx_begin(st, "locking to claim an allocation", &nested, err);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s;
	if ((rc = state_prepare(st, &s, "SELECT owner_pid, owner_start FROM allocations WHERE id = ?1",
	                  err)) < 0)
		goto rollback;
	state_bind_text(s, 1, id);
	int step = sqlite3_step(s);
	int cur_pid = step == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	unsigned long long cur_start =
		step == SQLITE_ROW ? (unsigned long long)sqlite3_column_int64(s, 1) : 0;
	sqlite3_finalize(s);
	if (step == SQLITE_DONE) {
		rc = drover_err_set(err, -ENOENT, "no allocation \"%s\" in \"%s\"", id, st->path);
		goto rollback;
	}
	if (step != SQLITE_ROW) {
		rc = state_db_error(st, err, "reading an allocation's owner");
		goto rollback;
	}
	if ((cur_pid != pid || cur_start != start) && drover_state_owner_alive(cur_pid, cur_start)) {
		if (owner_pid)
			*owner_pid = cur_pid;
		state_tx_end(st, nested, 0, NULL, NULL);
		return drover_err_set(err, -EBUSY, "allocation \"%s\" is watched by pid %d", id,
		                      cur_pid);
	}
	if ((rc = state_prepare(st, &s,
	                  "UPDATE allocations SET owner_pid = ?2, owner_start = ?3 WHERE id = ?1",
	                  err)) < 0)
		goto rollback;
	state_bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, pid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)start);
	if ((rc = state_step_done(st, s, "claiming an allocation", err)) < 0)
		goto rollback;
	return state_tx_end(st, nested, 1, "committing an allocation's owner", err);
rollback:
	state_tx_end(st, nested, 0, NULL, NULL);
	return rc;
}

int drover_state_alloc_release(drover_state *st, const char *id, int pid, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE allocations SET owner_pid = 0, owner_start = 0"
	                 " WHERE id = ?1 AND owner_pid = ?2",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, pid);
	return state_step_done(st, s, "releasing an allocation", err);
}

void drover_state_alloc_clear(drover_state_alloc *a)
{
	free(a->id);
	free(a->job_id);
	free(a->job_name);
	free(a->job_json);
	free(a->group_name);
	free(a->alloc_name);
	free(a->alloc_dir);
	free(a->desired_status);
	free(a->client_status);
	free(a->problem);
	*a = (drover_state_alloc){0};
}

void drover_state_allocs_free(drover_state_alloc *a, size_t count)
{
	for (size_t i = 0; a && i < count; i++)
		drover_state_alloc_clear(&a[i]);
	free(a);
}

/* ------------------------------------------------------------------ tasks */

int drover_state_task_put(drover_state *st, const drover_state_task *t, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "INSERT OR REPLACE INTO tasks (alloc_id, name, driver, state, pid, handle,"
	                 " exit_code, signal, oom_killed, failed, restarts, started_ms, finished_ms)"
	                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, t->alloc_id);
	state_bind_text(s, 2, t->name);
	state_bind_text(s, 3, t->driver);
	state_bind_text(s, 4, t->state ? t->state : "pending");
	sqlite3_bind_int(s, 5, t->pid);
	if (t->handle)
		sqlite3_bind_blob(s, 6, t->handle, (int)t->handle_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_int(s, 7, t->exit_code);
	sqlite3_bind_int(s, 8, t->signal);
	sqlite3_bind_int(s, 9, t->oom_killed);
	sqlite3_bind_int(s, 10, t->failed);
	sqlite3_bind_int(s, 11, t->restarts);
	sqlite3_bind_int64(s, 12, t->started_ms);
	sqlite3_bind_int64(s, 13, t->finished_ms);
	return state_step_done(st, s, "recording a task", err);
}

static int task_update_done(drover_state *st, sqlite3_stmt *s, const char *alloc_id,
                            const char *task, drover_err *err)
{
	int rc = state_step_done(st, s, "updating a task", err);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = drover_err_set(err, -ENOENT, "no task \"%s\" in allocation \"%s\" in \"%s\"", task,
		                    alloc_id, st->path);
	return rc;
}

int drover_state_task_set_running(drover_state *st, const char *alloc_id, const char *task,
                                  int pid, const void *handle, size_t handle_len,
                                  long long started_ms, drover_err *err)
{
	if (handle_len > 1024 * 1024)
		return drover_err_set(err, -E2BIG, "task \"%s\": driver handle of %zu bytes is too large",
		                      task, handle_len);
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE tasks SET state = 'running', pid = ?3, handle = ?4, started_ms = ?5,"
	                 " finished_ms = 0, exit_code = 0, signal = 0, oom_killed = 0, failed = 0,"
	                 " restart_due_ms = 0"
	                 " WHERE alloc_id = ?1 AND name = ?2",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int(s, 3, pid);
	if (handle)
		sqlite3_bind_blob(s, 4, handle, (int)handle_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int64(s, 5, started_ms);
	return task_update_done(st, s, alloc_id, task, err);
}

int drover_state_task_set_starting(drover_state *st, const char *alloc_id, const char *task,
                                   const char *state_dir, int *attempt, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE tasks SET state = 'starting', start_attempt = start_attempt + 1,"
	                 " state_dir = ?3, shim_pid = 0, shim_start = 0, pid = 0, handle = NULL,"
	                 " restart_due_ms = 0, finished_ms = 0, exit_code = 0, signal = 0,"
	                 " oom_killed = 0, failed = 0"
	                 " WHERE alloc_id = ?1 AND name = ?2 RETURNING start_attempt",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	state_bind_text(s, 3, state_dir);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		if (attempt)
			*attempt = sqlite3_column_int(s, 0);
		step = sqlite3_step(s);
	} else if (step == SQLITE_DONE) {
		sqlite3_finalize(s);
		return drover_err_set(err, -ENOENT, "no task \"%s\" in allocation \"%s\" in \"%s\"",
		                      task, alloc_id, st->path);
	}
	rc = step == SQLITE_DONE ? 0 : state_db_error(st, err, "recording a task's start");
	sqlite3_finalize(s);
	return rc;
}

int drover_state_task_set_shim(drover_state *st, const char *state_dir, int shim_pid,
                               unsigned long long shim_start, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE tasks SET shim_pid = ?2, shim_start = ?3"
	                 " WHERE state_dir = ?1 AND state = 'starting'",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, state_dir);
	sqlite3_bind_int(s, 2, shim_pid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)shim_start);
	return state_step_done(st, s, "recording a task's drover-shim", err);
}

int drover_state_task_set_restart_due(drover_state *st, const char *alloc_id, const char *task,
                                      int restarts, long long due_ms, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE tasks SET restarts = ?3, restart_due_ms = ?4"
	                 " WHERE alloc_id = ?1 AND name = ?2",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int(s, 3, restarts);
	sqlite3_bind_int64(s, 4, due_ms);
	return task_update_done(st, s, alloc_id, task, err);
}

int drover_state_task_set_restarts(drover_state *st, const char *alloc_id, const char *task,
                                   int restarts, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "UPDATE tasks SET restarts = ?3 WHERE alloc_id = ?1 AND name = ?2",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int(s, 3, restarts);
	return task_update_done(st, s, alloc_id, task, err);
}

int drover_state_task_set_exited(drover_state *st, const char *alloc_id, const char *task,
                                 const drover_exit_result *res, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE tasks SET state = 'dead', exit_code = ?3, signal = ?4,"
	                 " oom_killed = ?5, failed = ?6, finished_ms = ?7, restart_due_ms = 0"
	                 " WHERE alloc_id = ?1 AND name = ?2",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int(s, 3, res->exit_code);
	sqlite3_bind_int(s, 4, res->signal);
	sqlite3_bind_int(s, 5, res->oom_killed);
	sqlite3_bind_int(s, 6, res->exit_code != 0 || res->signal != 0 || res->oom_killed ||
	                               res->error[0]);
	sqlite3_bind_int64(s, 7, res->exited_at_ms ? res->exited_at_ms : drover_now_ms());
	return task_update_done(st, s, alloc_id, task, err);
}

int drover_state_task_set_failed(drover_state *st, const char *alloc_id, const char *task,
                                 drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "UPDATE tasks SET state = 'dead', failed = 1, finished_ms = ?3,"
	                 " restart_due_ms = 0 WHERE alloc_id = ?1 AND name = ?2",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int64(s, 3, drover_now_ms());
	return task_update_done(st, s, alloc_id, task, err);
}

static void read_task(sqlite3_stmt *s, drover_state_task *t)
{
	*t = (drover_state_task){0};
	t->alloc_id = state_column_text(s, 0);
	t->name = state_column_text(s, 1);
	t->driver = state_column_text(s, 2);
	t->state = state_column_text(s, 3);
	t->pid = sqlite3_column_int(s, 4);
	int handle_type = sqlite3_column_type(s, 5);
	if (handle_type == SQLITE_BLOB) {
		int len = sqlite3_column_bytes(s, 5);
		const void *blob = sqlite3_column_blob(s, 5);
		t->handle = malloc(len > 0 ? (size_t)len : 1);
		if (t->handle && blob)
			memcpy(t->handle, blob, (size_t)len);
		t->handle_len = (size_t)len;
	}
	t->exit_code = sqlite3_column_int(s, 6);
	t->signal = sqlite3_column_int(s, 7);
	t->oom_killed = sqlite3_column_int(s, 8);
	t->failed = sqlite3_column_int(s, 9);
	t->restarts = sqlite3_column_int(s, 10);
	t->started_ms = sqlite3_column_int64(s, 11);
	t->finished_ms = sqlite3_column_int64(s, 12);
	t->start_attempt = sqlite3_column_int(s, 13);
	t->state_dir = state_column_text(s, 14);
	t->shim_pid = sqlite3_column_int(s, 15);
	t->shim_start = (unsigned long long)sqlite3_column_int64(s, 16);
	t->restart_due_ms = sqlite3_column_int64(s, 17);
	if (!t->name)
		t->name = strdup("?");
	if (!t->driver)
		t->problem = drover_strdup_printf("column \"driver\" has no value");
	else if (!t->state || (strcmp(t->state, "pending") != 0 && strcmp(t->state, "running") != 0 &&
	                       strcmp(t->state, "starting") != 0 && strcmp(t->state, "dead") != 0))
		t->problem = drover_strdup_printf("column \"state\" is \"%.32s\", not pending, "
		                                  "starting, running or dead",
		                                  t->state ? t->state : "(null)");
	else if (handle_type != SQLITE_BLOB && handle_type != SQLITE_NULL)
		t->problem = drover_strdup_printf("column \"handle\" is not a blob: the driver handle "
		                                  "is unreadable");
	else if (strcmp(t->state, "running") == 0 && handle_type == SQLITE_NULL)
		t->problem = drover_strdup_printf("the task is running but has no driver handle");
	if (!t->state)
		t->state = strdup("unknown");
	if (t->problem && t->handle) {
		free(t->handle);
		t->handle = NULL;
		t->handle_len = 0;
	}
}

#define TASK_COLUMNS                                                                    \
	"alloc_id, name, driver, state, pid, handle, exit_code, signal, oom_killed, failed," \
	" restarts, started_ms, finished_ms, start_attempt, state_dir, shim_pid, shim_start," \
	" restart_due_ms"

/* Steps `s` (prepared, bound) to its end, collecting tasks; finalizes it. */
static int collect_tasks(drover_state *st, sqlite3_stmt *s, drover_state_task **out,
                         size_t *count, drover_err *err)
{
	drover_state_task *list = NULL;
	size_t n = 0, cap = 0;
	int step, rc = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			drover_state_task *grown = realloc(list, ncap * sizeof(*list));
			if (!grown) {
				rc = drover_err_set(err, -ENOMEM, "out of memory");
				break;
			}
			list = grown;
			cap = ncap;
		}
		read_task(s, &list[n++]);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = state_db_error(st, err, "listing tasks");
	sqlite3_finalize(s);
	if (rc < 0) {
		drover_state_tasks_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

int drover_state_task_list(drover_state *st, const char *alloc_id, drover_state_task **out,
                           size_t *count, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "SELECT " TASK_COLUMNS " FROM tasks WHERE alloc_id = ?1 ORDER BY rowid",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	return collect_tasks(st, s, out, count, err);
}

int drover_state_task_list_all(drover_state *st, drover_state_task **out, size_t *count,
                               drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s, "SELECT " TASK_COLUMNS " FROM tasks ORDER BY alloc_id, rowid",
	                       err);
	if (rc < 0)
		return rc;
	return collect_tasks(st, s, out, count, err);
}

void drover_state_task_clear(drover_state_task *t)
{
	free(t->alloc_id);
	free(t->name);
	free(t->driver);
	free(t->state);
	free(t->handle);
	free(t->problem);
	free(t->state_dir);
	*t = (drover_state_task){0};
}

void drover_state_tasks_free(drover_state_task *t, size_t count)
{
	for (size_t i = 0; t && i < count; i++)
		drover_state_task_clear(&t[i]);
	free(t);
}

/* ----------------------------------------------------------------- events */

int drover_state_event_add(drover_state *st, const char *alloc_id, const char *task,
                           long long time_ms, const char *type, const char *message,
                           drover_err *err)
{
	int nested;
	int rc = state_tx_begin(st, "locking to record an event", &nested, err);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s;
	if ((rc = state_prepare(st, &s,
	                  "INSERT INTO events (alloc_id, task, time_ms, type, message)"
	                  " VALUES (?1, ?2, ?3, ?4, ?5)",
	                  err)) < 0)
		goto rollback;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int64(s, 3, time_ms);
	state_bind_text(s, 4, type);
	state_bind_text(s, 5, message);
	if ((rc = state_step_done(st, s, "recording an event", err)) < 0)
		goto rollback;
	if ((rc = state_prepare(st, &s,
	                  "DELETE FROM events WHERE alloc_id = ?1 AND task = ?2 AND seq <="
	                  " (SELECT seq FROM events WHERE alloc_id = ?1 AND task = ?2"
	                  "  ORDER BY seq DESC LIMIT 1 OFFSET ?3)",
	                  err)) < 0)
		goto rollback;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int(s, 3, DROVER_STATE_EVENTS_KEPT);
	if ((rc = state_step_done(st, s, "dropping old events", err)) < 0)
		goto rollback;
	return state_tx_end(st, nested, 1, "committing an event", err);
rollback:
	state_tx_end(st, nested, 0, NULL, NULL);
	return rc;
}

/* Steps `s` (columns task, time_ms, type, message[, alloc_id]) to its end,
 * collecting events; finalizes it. */
static int collect_events(drover_state *st, sqlite3_stmt *s, drover_state_event **out,
                          size_t *count, drover_err *err)
{
	drover_state_event *list = NULL;
	size_t n = 0, cap = 0;
	int step, rc = 0, with_alloc = sqlite3_column_count(s) > 4;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			drover_state_event *grown = realloc(list, ncap * sizeof(*list));
			if (!grown) {
				rc = drover_err_set(err, -ENOMEM, "out of memory");
				break;
			}
			list = grown;
			cap = ncap;
		}
		list[n] = (drover_state_event){
			.task = state_column_text(s, 0),
			.time_ms = sqlite3_column_int64(s, 1),
			.type = state_column_text(s, 2),
			.message = state_column_text(s, 3),
			.alloc_id = with_alloc ? state_column_text(s, 4) : NULL,
		};
		n++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = state_db_error(st, err, "listing events");
	sqlite3_finalize(s);
	if (rc < 0) {
		drover_state_events_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

int drover_state_event_list(drover_state *st, const char *alloc_id, const char *task,
                            size_t limit, drover_state_event **out, size_t *count,
                            drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "SELECT task, time_ms, type, message FROM (SELECT seq, task, time_ms, type,"
	                 " message FROM events WHERE alloc_id = ?1 AND (?2 IS NULL OR task = ?2)"
	                 " ORDER BY seq DESC LIMIT ?3) ORDER BY seq",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, alloc_id);
	state_bind_text(s, 2, task);
	sqlite3_bind_int64(s, 3, limit > 1000000 ? 1000000 : (long long)limit);
	return collect_events(st, s, out, count, err);
}

int drover_state_event_list_all(drover_state *st, drover_state_event **out, size_t *count,
                                drover_err *err)
{
	sqlite3_stmt *s;
	/* events_by_task gives this order without sorting. */
	int rc = state_prepare(st, &s,
	                       "SELECT task, time_ms, type, message, alloc_id FROM events"
	                       " ORDER BY alloc_id, task, seq",
	                       err);
	if (rc < 0)
		return rc;
	return collect_events(st, s, out, count, err);
}

void drover_state_events_free(drover_state_event *e, size_t count)
{
	for (size_t i = 0; e && i < count; i++) {
		free(e[i].task);
		free(e[i].type);
		free(e[i].message);
		free(e[i].alloc_id);
	}
	free(e);
}

/* ---------------------------------------------------------- driver faults */

int drover_state_fault_add(drover_state *st, const char *driver, const char *plugin,
                           const char *call, int signo, drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "INSERT INTO driver_faults (driver, plugin, call, signal, time_ms)"
	                 " VALUES (?1, ?2, ?3, ?4, ?5)",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, driver);
	state_bind_text(s, 2, plugin ? plugin : "");
	state_bind_text(s, 3, call);
	sqlite3_bind_int(s, 4, signo);
	sqlite3_bind_int64(s, 5, drover_now_ms());
	return state_step_done(st, s, "recording a driver crash", err);
}

int drover_state_fault_count(drover_state *st, const char *driver, const char *plugin,
                             long long since_ms, int *count, char **last_call, int *last_signal,
                             drover_err *err)
{
	sqlite3_stmt *s;
	int rc = state_prepare(st, &s,
	                 "SELECT count(*), (SELECT call FROM driver_faults WHERE driver = ?1 AND"
	                 "  plugin = ?2 AND time_ms >= ?3 ORDER BY seq DESC LIMIT 1),"
	                 " (SELECT signal FROM driver_faults WHERE driver = ?1 AND plugin = ?2 AND"
	                 "  time_ms >= ?3 ORDER BY seq DESC LIMIT 1)"
	                 " FROM driver_faults WHERE driver = ?1 AND plugin = ?2 AND time_ms >= ?3",
	                 err);
	if (rc < 0)
		return rc;
	state_bind_text(s, 1, driver);
	state_bind_text(s, 2, plugin ? plugin : "");
	sqlite3_bind_int64(s, 3, since_ms);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = state_db_error(st, err, "counting driver crashes");
		sqlite3_finalize(s);
		return rc;
	}
	*count = sqlite3_column_int(s, 0);
	if (last_call)
		*last_call = state_column_text(s, 1);
	if (last_signal)
		*last_signal = sqlite3_column_int(s, 2);
	sqlite3_finalize(s);
	return 0;
}

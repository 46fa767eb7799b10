/* Shared by the crash-consistency tests (test_crash.c, test_soak.c): a data
 * dir and a plugin dir of their own, jobs of raw_exec shell tasks, the
 * agent as a child, and the state store read directly with SQLite (the
 * tests assert what is recorded, not how `drover status` prints it). */
#ifndef DROVER_TEST_CRASH_SUPPORT_H
#define DROVER_TEST_CRASH_SUPPORT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "cli_harness.h"
#include "tests/test_files.h"
#include "tests/test_support.h"
#include "tests/test_wait.h"

#define CS_DEADLINE_MS 30000
/* Each test program uses some of these. */
#define CS_HELPER static __attribute__((unused))

static cli_env cs_env;
static char cs_config[400];
static char cs_plugins[400];

/* The in-tree drivers, and the named ABI fixtures as extra drivers. */
CS_HELPER void cs_setup(const char *const *fixtures)
{
	cli_env_setup(&cs_env);
	char *p = cli_write_file(&cs_env, "agent.json",
	                         "{\"plugin\": {\"raw_exec\": {\"config\": {\"enabled\": true}}},"
	                         " \"client\": {\"fingerprint_interval\": \"30s\"}}\n");
	snprintf(cs_config, sizeof(cs_config), "%s", p);
	free(p);
	/* Made here so that the tests can watch it from the start. */
	cr_assert_eq(mkdir(cs_env.data_dir, 0711), 0, "mkdir %s: %s", cs_env.data_dir,
	             strerror(errno));
	snprintf(cs_plugins, sizeof(cs_plugins), "%s/plugins", cs_env.root);
	cr_assert_eq(mkdir(cs_plugins, 0755), 0);
	const char *dir = getenv("DROVER_TEST_PLUGIN_DIR");
	cr_assert(dir, "DROVER_TEST_PLUGIN_DIR is not set: run the tests through `make check`");
	DIR *d = opendir(dir);
	cr_assert(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".so"))
			continue;
		char from[1024], to[1024];
		snprintf(from, sizeof(from), "%s/%s", dir, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", cs_plugins, e->d_name);
		test_copy_file(from, to);
	}
	closedir(d);
	for (size_t i = 0; fixtures && fixtures[i]; i++) {
		char from[1024], to[1024];
		snprintf(from, sizeof(from), "%s/%s.so", FIXTURE_LIBS_DIR, fixtures[i]);
		snprintf(to, sizeof(to), "%s/%s.so", cs_plugins, fixtures[i]);
		test_copy_file(from, to);
	}
}

CS_HELPER void cs_teardown(void)
{
	cli_env_teardown(&cs_env);
}

CS_HELPER void cs_drover(cli_result *r, const char *cmd, const char *a1, const char *a2)
{
	const char *argv[] = {cmd, "-config", cs_config, "-plugin-dir", cs_plugins,
	                      "-data-dir", cs_env.data_dir, a1, a2, NULL};
	cli_run(r, CS_DEADLINE_MS, argv);
}

/* A job of one group (Count `count`) whose tasks are given as JSON objects. */
CS_HELPER char *cs_job(const char *name, int count, const char *group_extra, const char *tasks)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Job\": {\"ID\": \"%s\", \"Type\": \"batch\", \"TaskGroups\": [{\"Name\": "
	                   "\"g\", \"Count\": %d, %s \"Tasks\": [%s]}]}}\n",
	                   name, count,
	                   group_extra ? group_extra
	                               : "\"RestartPolicy\": {\"Attempts\": 0, \"Mode\": \"fail\"},",
	                   tasks) > 0);
	char file[128];
	snprintf(file, sizeof(file), "%s.json", name);
	char *path = cli_write_file(&cs_env, file, text);
	free(text);
	return path;
}

/* A raw_exec task running `script` with $ROOT set to the test's directory. */
CS_HELPER char *cs_sh_task(const char *name, const char *script, const char *extra)
{
	char *text = NULL;
	cr_assert(asprintf(&text,
	                   "{\"Name\": \"%s\", \"Driver\": \"raw_exec\", \"Env\": {\"ROOT\": \"%s\"},"
	                   " \"KillTimeout\": 1000000000, %s"
	                   " \"Config\": {\"command\": \"/bin/sh\", \"args\": [\"-c\", \"%s\"]}}",
	                   name, cs_env.root, extra ? extra : "", script) > 0);
	return text;
}

/* The allocation ids `drover run -detach` printed, in order. */
CS_HELPER size_t cs_printed_allocs(const char *out, char ids[][40], size_t max)
{
	size_t n = 0;
	const char *p = out;
	while (n < max && (p = strstr(p, "==> Allocation \""))) {
		p += strlen("==> Allocation \"");
		snprintf(ids[n++], 37, "%s", p);
	}
	return n;
}

CS_HELPER pid_t cs_runner_pid(void)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/drover-run.log", cs_env.data_dir);
	char *log = cli_slurp(path);
	cr_assert(log, "no %s", path);
	const char *last = NULL, *p = log;
	while ((p = strstr(p, "detached runner pid "))) {
		last = p;
		p++;
	}
	cr_assert(last, "runner pid not logged: %s", log);
	pid_t pid = (pid_t)atoi(last + strlen("detached runner pid "));
	free(log);
	return pid;
}

typedef struct cs_agent {
	pid_t pid;
	int fd;
	char *seen;
	size_t used;
} cs_agent;

CS_HELPER cs_agent cs_agent_start(void)
{
	int p[2];
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	const char *bin = getenv("DROVER_TEST_DROVER");
	cr_assert(bin);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl(bin, bin, "agent", "-config", cs_config, "-plugin-dir", cs_plugins, "-data-dir",
		      cs_env.data_dir, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	return (cs_agent){.pid = pid, .fd = p[0], .seen = strdup("")};
}

CS_HELPER char *cs_agent_expect(cs_agent *a, const char *needle)
{
	char *hit;
	while (!(hit = strstr(a->seen + a->used, needle))) {
		char *text = cli_read_until(a->fd, needle, CS_DEADLINE_MS);
		cr_assert(text, "the agent never logged \"%s\"; it said:\n%s", needle, a->seen);
		char *joined = NULL;
		cr_assert(asprintf(&joined, "%s%s", a->seen, text) > 0);
		free(text);
		free(a->seen);
		a->seen = joined;
	}
	a->used = (size_t)(hit - a->seen) + strlen(needle);
	return strdup(hit);
}

CS_HELPER void cs_kill9(pid_t pid)
{
	cr_assert(kill(pid, SIGKILL) == 0 || errno == ESRCH, "kill %d: %s", (int)pid, strerror(errno));
	waitpid(pid, NULL, 0);
	cr_assert(cli_wait_gone(pid, CS_DEADLINE_MS), "pid %d survived SIGKILL", (int)pid);
}

CS_HELPER void cs_agent_stop(cs_agent *a)
{
	cs_kill9(a->pid);
	close(a->fd);
	free(a->seen);
	a->seen = NULL;
}

/* ------------------------------------------------------- the store itself */

CS_HELPER sqlite3 *cs_db(void)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/state.db", cs_env.data_dir);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

/* One text value of a query with one optional text parameter (malloc'd, "" for none). */
CS_HELPER char *cs_query(const char *sql, const char *param)
{
	sqlite3 *db = cs_db();
	sqlite3_stmt *s = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	if (param)
		sqlite3_bind_text(s, 1, param, -1, SQLITE_TRANSIENT);
	char *out = NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out ? out : strdup("");
}

CS_HELPER int cs_query_int(const char *sql, const char *param)
{
	char *v = cs_query(sql, param);
	int n = atoi(v);
	free(v);
	return n;
}

/* Every event message of one type of the allocation, joined by newlines. */
CS_HELPER char *cs_events(const char *alloc, const char *type)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "SELECT group_concat(task || ': ' || message, char(10)) FROM events"
	         " WHERE alloc_id = ?1 AND type = '%s'", type);
	return cs_query(sql, alloc);
}

typedef struct cs_count_arg {
	const char *sql;
	int want;
} cs_count_arg;

static int cs_count_is(void *arg)
{
	cs_count_arg *c = arg;
	return cs_query_int(c->sql, NULL) == c->want;
}

/* Waits (inotify on the data dir, where the store's -wal changes) until the
 * query counts `want`. */
CS_HELPER int cs_wait_count(const char *sql, int want)
{
	cs_count_arg c = {sql, want};
	return test_wait_in_dir(cs_env.data_dir, cs_count_is, &c, CS_DEADLINE_MS);
}

CS_HELPER int cs_exists(void *path)
{
	return access(path, F_OK) == 0;
}

/* The pids of every process whose environment holds `marker` (the tasks of
 * a test carry ROOT=<its directory>), drover-shim excluded. */
CS_HELPER size_t cs_task_processes(const char *marker, int *pids, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc");
	cr_assert(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300], comm[64] = "";
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		char *c = cli_slurp(path);
		if (!c)
			continue;
		snprintf(comm, sizeof(comm), "%s", c);
		free(c);
		if (strncmp(comm, "drover", 6) == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		char buf[65536];
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		int hit = 0;
		for (ssize_t off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1) {
			buf[len] = '\0';
			if (strcmp(buf + off, marker) == 0)
				hit = 1;
		}
		if (hit && n < max)
			pids[n++] = atoi(e->d_name);
		else if (hit)
			n++;
	}
	closedir(d);
	return n;
}

#endif

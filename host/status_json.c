#include "config.h"

#include "status_json.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void str(yajl_gen g, const char *k, const char *v)
{
	key(g, k);
	yajl_gen_string(g, (const unsigned char *)(v ? v : ""), v ? strlen(v) : 0);
}

static void num(yajl_gen g, const char *k, long long v)
{
	key(g, k);
	yajl_gen_integer(g, v);
}

static void boolean(yajl_gen g, const char *k, int v)
{
	key(g, k);
	yajl_gen_bool(g, v);
}

/* Go's time.Time in JSON: RFC 3339 with the fraction's trailing zeros cut,
 * and the zero time for "never". */
static void gotime(yajl_gen g, const char *k, long long ms)
{
	char buf[64];
	if (ms <= 0) {
		snprintf(buf, sizeof(buf), "0001-01-01T00:00:00Z");
	} else {
		time_t secs = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		int frac = (int)(ms % 1000);
		if (frac) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%03d", frac);
			while (buf[n - 1] == '0')
				buf[--n] = '\0';
		}
		snprintf(buf + n, sizeof(buf) - n, "Z");
	}
	str(g, k, buf);
}

/* api.TaskEvent: drover keeps a type, a time and a message; the fields Nomad
 * fills for some types come from them. */
static void gen_event(yajl_gen g, const drover_state_event *e)
{
	const char *type = e->type ? e->type : "";
	const char *msg = e->message ? e->message : "";
	int exit_code = 0, signal = 0;
	int terminated = strcmp(type, "Terminated") == 0 &&
	                 sscanf(msg, "Exit Code: %d, Signal: %d", &exit_code, &signal) == 2;
	int driver_failure = strcmp(type, "Driver Failure") == 0;
	int setup_failure = strcmp(type, "Setup Failure") == 0;
	int restarting = strcmp(type, "Restarting") == 0;
	int sibling = strcmp(type, "Sibling Task Failed") == 0;

	yajl_gen_map_open(g);
	str(g, "Type", type);
	num(g, "Time", e->time_ms * 1000000);
	str(g, "Message", msg);
	str(g, "DisplayMessage", msg);
	key(g, "Details");
	yajl_gen_map_open(g);
	if (terminated) {
		char v[16];
		snprintf(v, sizeof(v), "%d", exit_code);
		str(g, "exit_code", v);
		snprintf(v, sizeof(v), "%d", signal);
		str(g, "signal", v);
		str(g, "oom_killed", strstr(msg, "OOM Killed") ? "true" : "false");
	}
	if (driver_failure)
		str(g, "driver_error", msg);
	if (setup_failure)
		str(g, "setup_error", msg);
	if (restarting)
		str(g, "restart_reason", msg);
	yajl_gen_map_close(g);
	boolean(g, "FailsTask", driver_failure || setup_failure || strcmp(type, "Not Restarting") == 0);
	str(g, "RestartReason", restarting ? msg : "");
	str(g, "SetupError", setup_failure ? msg : "");
	str(g, "DriverError", driver_failure ? msg : "");
	str(g, "DriverMessage", "");
	num(g, "ExitCode", exit_code);
	num(g, "Signal", signal);
	str(g, "KillReason", "");
	num(g, "KillTimeout", 0);
	str(g, "KillError", "");
	num(g, "StartDelay", 0);
	str(g, "DownloadError", "");
	str(g, "ValidationError", "");
	num(g, "DiskLimit", 0);
	num(g, "DiskSize", 0);
	str(g, "FailedSibling", sibling ? msg : "");
	str(g, "VaultError", "");
	str(g, "TaskSignalReason", "");
	str(g, "TaskSignal", "");
	str(g, "GenericSource", "");
	yajl_gen_map_close(g);
}

static long long last_restart_ms(const status_task *t)
{
	for (size_t i = t->event_count; i-- > 0;)
		if (t->events[i].type && strcmp(t->events[i].type, "Restarting") == 0)
			return t->events[i].time_ms;
	return 0;
}

/* api.TaskState, then drover's own fields (a Go client ignores them). */
static void gen_task(yajl_gen g, const status_task *t)
{
	yajl_gen_map_open(g);
	str(g, "State", t->state);
	boolean(g, "Failed", t->failed);
	num(g, "Restarts", t->row.restarts);
	gotime(g, "LastRestart", last_restart_ms(t));
	gotime(g, "StartedAt", t->started ? t->row.started_ms : 0);
	gotime(g, "FinishedAt", strcmp(t->state, "dead") == 0 ? t->row.finished_ms : 0);
	key(g, "Events");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < t->event_count; k++)
		gen_event(g, &t->events[k]);
	yajl_gen_array_close(g);
	key(g, "TaskHandle");
	yajl_gen_null(g);
	str(g, "Driver", t->row.driver);
	num(g, "Pid", strcmp(t->state, "running") == 0 ? t->row.pid : 0);
	key(g, "ExitCode");
	if (strcmp(t->row.state, "dead") == 0 && t->started)
		yajl_gen_integer(g, t->row.exit_code);
	else
		yajl_gen_null(g);
	key(g, "Detail");
	if (t->detail[0])
		yajl_gen_string(g, (const unsigned char *)t->detail, strlen(t->detail));
	else
		yajl_gen_null(g);
	key(g, "Problem");
	if (t->problem[0])
		yajl_gen_string(g, (const unsigned char *)t->problem, strlen(t->problem));
	else
		yajl_gen_null(g);
	if (t->has_stats) {
		key(g, "Stats");
		yajl_gen_map_open(g);
		num(g, "CPUUserNs", (long long)t->stats.cpu_user_ns);
		num(g, "CPUSystemNs", (long long)t->stats.cpu_system_ns);
		num(g, "MemoryRSS", (long long)t->stats.memory_rss_bytes);
		num(g, "Pids", (long long)t->stats.pids);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

void status_json_alloc(yajl_gen g, const status_alloc *a)
{
	long long modified = a->alloc.modified_ms > 0 ? a->alloc.modified_ms : a->alloc.created_ms;
	yajl_gen_map_open(g);
	str(g, "ID", a->alloc.id);
	str(g, "EvalID", "");
	str(g, "Name", a->alloc.alloc_name);
	str(g, "Namespace", "default");
	str(g, "NodeID", "");
	str(g, "NodeName", "");
	str(g, "JobID", a->alloc.job_id);
	num(g, "JobVersion", 0);
	str(g, "TaskGroup", a->alloc.group_name);
	str(g, "DesiredStatus", a->alloc.desired_status);
	str(g, "DesiredDescription", "");
	str(g, "ClientStatus", a->client_status);
	str(g, "ClientDescription", a->client_description);
	key(g, "TaskStates");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < a->count; i++) {
		key(g, a->tasks[i].row.name);
		gen_task(g, &a->tasks[i]);
	}
	yajl_gen_map_close(g);
	num(g, "CreateIndex", 0);
	num(g, "ModifyIndex", 0);
	num(g, "CreateTime", a->alloc.created_ms * 1000000);
	num(g, "ModifyTime", modified * 1000000);
	str(g, "AllocDir", a->alloc.alloc_dir);
	yajl_gen_map_close(g);
}

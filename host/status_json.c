#include "config.h"

#include "status_json.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The text is yajl's beautified output byte for byte (four spaces a level,
 * `"key": value`, an empty container as its brackets on two lines), with
 * strings escaped as yajl escapes them and the C1 controls as
 * drover_gen_print does, written here without yajl: over a thousand
 * allocations (4.8 MB) yajl's per-byte escaping, per-level indentation calls
 * and sprintf of integers were three quarters of the command's instructions.
 * tests/unit/test_status_json.c compares the two. */
#define JW_MAX_DEPTH 16

typedef struct jw {
	FILE *f;
	size_t len;
	int depth;
	unsigned char in_map[JW_MAX_DEPTH]; /* the container at each depth is an object */
	size_t members[JW_MAX_DEPTH];       /* members or items written so far at each depth */
	char buf[1 << 16];
} jw;

static void jw_flush(jw *w)
{
	if (w->len)
		fwrite(w->buf, 1, w->len, w->f);
	w->len = 0;
}

static void put_slow(jw *w, const char *p, size_t n)
{
	jw_flush(w);
	if (n > sizeof(w->buf))
		fwrite(p, 1, n, w->f);
	else
		memcpy(w->buf, p, w->len = n);
}

/* Inline, so that the copies of the short constant pieces are moves. */
static inline void put(jw *w, const char *p, size_t n)
{
	if (n > sizeof(w->buf) - w->len) {
		put_slow(w, p, n);
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_indent(jw *w)
{
	static const char spaces[4 * JW_MAX_DEPTH] = "                                                                ";
	put(w, spaces, 4 * (size_t)w->depth);
}

/* Bytes a string cannot carry as they are: C0 controls, the quote, the
 * backslash, and 0xc2, which starts a C1 control (U+0080..U+009F). */
static int needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0xc2;
}

static void put_string(jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	put(w, "\"", 1);
	while (i < n) {
		while (i < n && !needs_escape(p[i]))
			i++;
		put(w, s + run, i - run);
		if (i == n)
			break;
		char e[8] = {'\\', 0};
		size_t elen = 2;
		unsigned char c = p[i++];
		switch (c) {
		case '\r': e[1] = 'r'; break;
		case '\n': e[1] = 'n'; break;
		case '\\': e[1] = '\\'; break;
		case '"': e[1] = '"'; break;
		case '\f': e[1] = 'f'; break;
		case '\b': e[1] = 'b'; break;
		case '\t': e[1] = 't'; break;
		case 0xc2:
			if (i < n && p[i] >= 0x80 && p[i] <= 0x9f) {
				/* drover_gen_print's spelling: lower-case hex */
				snprintf(e, sizeof(e), "\\u%04x", p[i++]);
				elen = 6;
			} else {
				e[0] = (char)c;
				elen = 1;
			}
			break;
		default: /* yajl's spelling of the other C0 controls */
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 0x0f];
			elen = 6;
			break;
		}
		put(w, e, elen);
		run = i;
	}
	put(w, "\"", 1);
}

/* Where a value goes: after its key in an object, on a line of its own in an
 * array, as it is at the top. */
static void value_prefix(jw *w)
{
	if (w->depth == 0 || w->in_map[w->depth])
		return;
	if (w->members[w->depth]++)
		put(w, ",\n", 2);
	put_indent(w);
}

static void jw_open(jw *w, int map)
{
	value_prefix(w);
	put(w, map ? "{\n" : "[\n", 2);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->in_map[w->depth] = (unsigned char)map;
	w->members[w->depth] = 0;
}

static void jw_close(jw *w)
{
	int map = w->in_map[w->depth];
	put(w, "\n", 1);
	if (w->depth > 0)
		w->depth--;
	put_indent(w);
	put(w, map ? "}" : "]", 1);
}

static void key(jw *w, const char *k)
{
	if (w->members[w->depth]++)
		put(w, ",\n", 2);
	put_indent(w);
	put_string(w, k, strlen(k));
	put(w, ": ", 2);
}

static void jw_str(jw *w, const char *v)
{
	value_prefix(w);
	put_string(w, v ? v : "", v ? strlen(v) : 0);
}

static void jw_int(jw *w, long long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	value_prefix(w);
	put(w, p, (size_t)(buf + sizeof(buf) - p));
}

static void jw_null(jw *w)
{
	value_prefix(w);
	put(w, "null", 4);
}

static void str(jw *w, const char *k, const char *v)
{
	key(w, k);
	jw_str(w, v);
}

static void num(jw *w, const char *k, long long v)
{
	key(w, k);
	jw_int(w, v);
}

static void boolean(jw *w, const char *k, int v)
{
	key(w, k);
	value_prefix(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

/* Go's time.Time in JSON: RFC 3339 with the fraction's trailing zeros cut,
 * and the zero time for "never". */
static void gotime(jw *g, const char *k, long long ms)
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
static void gen_event(jw *g, const drover_state_event *e)
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

	jw_open(g, 1);
	str(g, "Type", type);
	num(g, "Time", e->time_ms * 1000000);
	str(g, "Message", msg);
	str(g, "DisplayMessage", msg);
	key(g, "Details");
	jw_open(g, 1);
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
	jw_close(g);
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
	jw_close(g);
}

static long long last_restart_ms(const status_task *t)
{
	for (size_t i = t->event_count; i-- > 0;)
		if (t->events[i].type && strcmp(t->events[i].type, "Restarting") == 0)
			return t->events[i].time_ms;
	return 0;
}

/* api.TaskState, then drover's own fields (a Go client ignores them). */
static void gen_task(jw *g, const status_task *t)
{
	jw_open(g, 1);
	str(g, "State", t->state);
	boolean(g, "Failed", t->failed);
	num(g, "Restarts", t->row.restarts);
	gotime(g, "LastRestart", last_restart_ms(t));
	gotime(g, "StartedAt", t->started ? t->row.started_ms : 0);
	gotime(g, "FinishedAt", strcmp(t->state, "dead") == 0 ? t->row.finished_ms : 0);
	key(g, "Events");
	jw_open(g, 0);
	for (size_t k = 0; k < t->event_count; k++)
		gen_event(g, &t->events[k]);
	jw_close(g);
	key(g, "TaskHandle");
	jw_null(g);
	str(g, "Driver", t->row.driver);
	num(g, "Pid", strcmp(t->state, "running") == 0 ? t->row.pid : 0);
	key(g, "ExitCode");
	if (strcmp(t->row.state, "dead") == 0 && t->started)
		jw_int(g, t->row.exit_code);
	else
		jw_null(g);
	key(g, "Detail");
	if (t->detail[0])
		jw_str(g, t->detail);
	else
		jw_null(g);
	key(g, "Problem");
	if (t->problem[0])
		jw_str(g, t->problem);
	else
		jw_null(g);
	if (t->has_stats) {
		key(g, "Stats");
		jw_open(g, 1);
		num(g, "CPUUserNs", (long long)t->stats.cpu_user_ns);
		num(g, "CPUSystemNs", (long long)t->stats.cpu_system_ns);
		num(g, "MemoryRSS", (long long)t->stats.memory_rss_bytes);
		num(g, "Pids", (long long)t->stats.pids);
		jw_close(g);
	}
	jw_close(g);
}

static void gen_alloc(jw *g, const status_alloc *a)
{
	long long modified = a->alloc.modified_ms > 0 ? a->alloc.modified_ms : a->alloc.created_ms;
	jw_open(g, 1);
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
	jw_open(g, 1);
	for (size_t i = 0; i < a->count; i++) {
		key(g, a->tasks[i].row.name);
		gen_task(g, &a->tasks[i]);
	}
	jw_close(g);
	num(g, "CreateIndex", 0);
	num(g, "ModifyIndex", 0);
	num(g, "CreateTime", a->alloc.created_ms * 1000000);
	num(g, "ModifyTime", modified * 1000000);
	str(g, "AllocDir", a->alloc.alloc_dir);
	jw_close(g);
}

static void jw_init(jw *w, FILE *f)
{
	w->f = f;
	w->len = 0;
	w->depth = 0;
	w->in_map[0] = 0;
	w->members[0] = 0;
}

void status_json_list(FILE *f, const status_alloc *allocs, size_t count)
{
	static jw w; /* its buffer is 64 KiB: not on the stack */
	jw_init(&w, f);
	jw_open(&w, 0);
	for (size_t i = 0; i < count; i++)
		gen_alloc(&w, &allocs[i]);
	jw_close(&w);
	/* yajl's newline after a complete value, then drover_gen_print's */
	put(&w, "\n\n", 2);
	jw_flush(&w);
}

void status_json_one(FILE *f, const status_alloc *a)
{
	static jw w;
	jw_init(&w, f);
	gen_alloc(&w, a);
	put(&w, "\n\n", 2);
	jw_flush(&w);
}

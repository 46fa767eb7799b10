#include "config.h"

#include "restart_policy.h"

#include <stdio.h>
#include <string.h>

static int is_hook(const char *hook, const char *name)
{
	return hook && strcmp(hook, name) == 0;
}

void drover_restart_tracker_init(drover_restart_tracker *t, const char *job_type,
                                 const char *lifecycle_hook, int sidecar, long long now_ms)
{
	/* The order of NewRestartTracker: job type first, then the lifecycle hook
	 * overrides it. */
	int on_success = 1;
	if (job_type && (strcmp(job_type, "batch") == 0 || strcmp(job_type, "sysbatch") == 0))
		on_success = 0;
	if (is_hook(lifecycle_hook, "prestart") || is_hook(lifecycle_hook, "poststart"))
		on_success = sidecar;
	if (is_hook(lifecycle_hook, "poststop"))
		on_success = 0;
	*t = (drover_restart_tracker){
		.window_start_ms = now_ms,
		.restart_on_success = on_success,
	};
}

/* Delay plus up to 25% of it; a zero delay still jitters from 1 ms as Nomad
 * does from 1 ns. */
static long long jittered(long long delay_ms, uint64_t random)
{
	long long d = delay_ms > 0 ? delay_ms : 1;
	long long r = (long long)(random % (uint64_t)d);
	return d + r * DROVER_RESTART_JITTER_PERCENT / 100;
}

void drover_restart_decide(drover_restart_tracker *t, const drover_restart_policy *policy,
                           int success, long long now_ms, uint64_t random,
                           drover_restart_decision *out)
{
	*out = (drover_restart_decision){.action = DROVER_RESTART_NOT_RESTARTING};
	if (success && !t->restart_on_success) {
		out->action = DROVER_RESTART_TERMINATED;
		snprintf(out->reason, sizeof(out->reason),
		         "Restart unnecessary as task terminated successfully");
		return;
	}
	if (policy->attempts <= 0) {
		snprintf(out->reason, sizeof(out->reason), "Policy allows no restarts");
		return;
	}
	/* Past the window's end (Interval after its start): a new window from now. */
	if (now_ms - t->window_start_ms > policy->interval_ms) {
		t->count = 0;
		t->window_start_ms = now_ms;
	}
	t->count++;
	if (t->count <= policy->attempts) {
		out->action = DROVER_RESTART_RESTART;
		out->delay_ms = jittered(policy->delay_ms, random);
		t->restarts++;
		return;
	}
	char interval[48];
	drover_format_go_duration(policy->interval_ms, interval, sizeof(interval));
	if (policy->mode && strcmp(policy->mode, "delay") == 0) {
		out->action = DROVER_RESTART_RESTART;
		long long end = t->window_start_ms + policy->interval_ms;
		out->delay_ms = end > now_ms ? end - now_ms : 0;
		t->restarts++;
		snprintf(out->reason, sizeof(out->reason),
		         "Exceeded allowed attempts, applying a delay");
		return;
	}
	snprintf(out->reason, sizeof(out->reason),
	         "Exceeded allowed attempts %d in interval %s and mode is \"fail\"", policy->attempts,
	         interval);
}

void drover_restart_event_message(const drover_restart_decision *d, char *buf, size_t len)
{
	if (d->action != DROVER_RESTART_RESTART) {
		snprintf(buf, len, "%s", d->reason[0] ? d->reason : "Task exceeded restart policy");
		return;
	}
	char in[48];
	drover_format_go_duration(d->delay_ms, in, sizeof(in));
	if (d->reason[0])
		snprintf(buf, len, "%s - Task restarting in %s", d->reason, in);
	else
		snprintf(buf, len, "Task restarting in %s", in);
}

void drover_format_go_duration(long long ms, char *buf, size_t len)
{
	if (len == 0)
		return;
	const char *sign = "";
	unsigned long long u = (unsigned long long)ms;
	if (ms < 0) {
		sign = "-";
		u = 0ULL - u;
	}
	if (u == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (u < 1000) {
		snprintf(buf, len, "%s%llums", sign, u);
		return;
	}
	unsigned long long h = u / 3600000, m = u / 60000 % 60, s = u / 1000 % 60, frac = u % 1000;
	char secs[32];
	if (frac) {
		/* Go trims trailing zeros of the fraction: 1.5s, 1.25s, 1.125s. */
		char f[4];
		snprintf(f, sizeof(f), "%03llu", frac);
		for (int i = 2; i > 0 && f[i] == '0'; i--)
			f[i] = '\0';
		snprintf(secs, sizeof(secs), "%llu.%ss", s, f);
	} else {
		snprintf(secs, sizeof(secs), "%llus", s);
	}
	if (h)
		snprintf(buf, len, "%s%lluh%llum%s", sign, h, m, secs);
	else if (m)
		snprintf(buf, len, "%s%llum%s", sign, m, secs);
	else
		snprintf(buf, len, "%s%s", sign, secs);
}

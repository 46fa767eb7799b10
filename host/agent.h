/* `drover agent`: the long-running host over one data dir.
 *
 * It locks the data dir (agent_lock.h), adopts every live allocation whose
 * owner (the runner that started it, or an earlier agent) is gone, and runs
 * them on through drover_runner_resume, one thread per adoption batch. It
 * watches the owners that are still alive through pidfds and adopts their
 * allocations when they die; allocations created after it started are found
 * again at each fingerprint tick. Every fingerprint_interval it fingerprints
 * the drivers and logs health changes, and calls the drivers' periodic
 * method. SIGTERM/SIGINT: every task is left running, ownership released,
 * exit 0 — like a Nomad client. */
#ifndef DROVER_HOST_AGENT_H
#define DROVER_HOST_AGENT_H

#include <stdio.h>

#include "context.h"

#define DROVER_AGENT_FINGERPRINT_INTERVAL_MS 30000
#define DROVER_AGENT_PERIODIC_INTERVAL_MS 5000

typedef struct drover_agent_settings {
	long long fingerprint_interval_ms;
	long long periodic_interval_ms;
} drover_agent_settings;

/* From the agent config (client.fingerprint_interval), with the defaults. */
void drover_agent_settings_load(const drover_context *ctx, drover_agent_settings *out);

/* Runs until SIGTERM/SIGINT. Logs go to `log`. 0 on a clean stop, negative
 * errno (message printed) when the agent could not start. */
int drover_agent_run(drover_context *ctx, const drover_agent_settings *settings, FILE *log);

#endif

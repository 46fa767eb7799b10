/* The task's output to Nomad's FIFOs (TaskConfig.stdout_path/stderr_path,
 * read by Nomad's log collector) instead of drover's rotated files.
 *
 * The SDK's spawn request has no field for them, and needs none: the bridge
 * chooses each task's state_dir, so it remembers which FIFOs belong to which
 * state_dir while the driver starts (or recovers) the task, and the
 * proc_spawn service it hands drivers passes them to drover-shim for a spawn
 * with that state_dir (drover_proc_spawn_ex). Every driver that spawns
 * through proc_spawn (raw_exec, exec, docker's log follower) is covered. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "proc.h"

struct nomad_output {
	struct nomad_output *next;
	char *state_dir;
	drover_proc_spawn_opts opts;
};

static pthread_mutex_t outputs_lock = PTHREAD_MUTEX_INITIALIZER;
static nomad_output *outputs;

static void output_free(nomad_output *o)
{
	if (!o)
		return;
	free(o->state_dir);
	free((char *)o->opts.stdout_fifo);
	free((char *)o->opts.stderr_fifo);
	free(o);
}

nomad_output *nomad_output_register(const char *state_dir, const char *stdout_path,
                                    const char *stderr_path)
{
	/* Nomad sends both, or (an older or a test client) neither. */
	if (!state_dir || !stdout_path || !*stdout_path || !stderr_path || !*stderr_path)
		return NULL;
	nomad_output *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->state_dir = strdup(state_dir);
	o->opts.stdout_fifo = strdup(stdout_path);
	o->opts.stderr_fifo = strdup(stderr_path);
	if (!o->state_dir || !o->opts.stdout_fifo || !o->opts.stderr_fifo) {
		output_free(o);
		return NULL;
	}
	pthread_mutex_lock(&outputs_lock);
	o->next = outputs;
	outputs = o;
	pthread_mutex_unlock(&outputs_lock);
	return o;
}

void nomad_output_unregister(nomad_output *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&outputs_lock);
	for (nomad_output **pp = &outputs; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	pthread_mutex_unlock(&outputs_lock);
	output_free(o);
}

int nomad_proc_spawn(void *host_data, const drover_spawn_request *req, drover_proc *out,
                     drover_err *err)
{
	drover_proc_spawn_opts opts = {0};
	int found = 0;
	pthread_mutex_lock(&outputs_lock);
	for (nomad_output *o = outputs; o && req && req->state_dir; o = o->next)
		if (strcmp(o->state_dir, req->state_dir) == 0) {
			/* copied: the entry is freed once the start returns, not before
			 * this spawn does, but the lock is not held across the spawn */
			opts = o->opts;
			found = 1;
			break;
		}
	pthread_mutex_unlock(&outputs_lock);
	return drover_proc_spawn_ex(host_data, req, found ? &opts : NULL, out, err);
}

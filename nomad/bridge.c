#include "config.h"

#include "bridge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host_services.h"

int nomad_bridge_open(nomad_bridge *b, const char *path, drover_err *err)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	pthread_mutex_init(&b->net_lock, NULL);
	pthread_cond_init(&b->events_cond, NULL);
	drover_plugin *p = calloc(1, sizeof(*p));
	if (!p)
		return drover_err_set(err, -ENOMEM, "out of memory");
	int rc = drover_loader_open(path, p, err);
	if (rc < 0) {
		free(p);
		return rc;
	}
	/* The same services drover's host hands its plugins; there is no agent
	 * config: Nomad's client config reaches the driver through SetConfig. */
	p->services = drover_host_services(NULL);
	p->services.host_data = p;
	/* A task's output goes to Nomad's FIFOs when it sent them (output_fifo.c). */
	p->services.proc_spawn = nomad_proc_spawn;
	drover_err ierr = {{0}};
	void *ctx = NULL;
	rc = p->desc->init(&p->services, &ctx, &ierr);
	if (rc < 0) {
		drover_err_set(err, rc, "%s: init failed: %s", p->path,
		               ierr.message[0] ? ierr.message : strerror(-rc));
		/* the module stays mapped: the bridge exits on this error */
		free(p->path);
		free(p);
		return rc;
	}
	p->ctx = ctx;
	b->plugin = p;
	return 0;
}

void nomad_bridge_close(nomad_bridge *b)
{
	if (!b->plugin)
		return;
	drover_plugin **one = malloc(sizeof(*one));
	if (!one)
		return; /* the process is ending: nothing to release it for */
	one[0] = b->plugin;
	drover_plugin_set set = {.plugins = one, .count = 1};
	drover_plugin_set_clear(&set);
	b->plugin = NULL;
	free(b->config_bytes);
	b->config_bytes = NULL;
}

/* A plugin's fingerprint, asked once per process unless asked fresh (see
 * drover_plugin_fingerprint in loader.h), and across processes through the
 * fingerprint cache (loader_cache.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "loader_cache.h"

typedef struct recording {
	struct drover_fingerprint_cache *cache;
	void *sink; /* the caller's */
	void (*set_attribute)(void *sink, const char *key, const char *value);
} recording;

static void record_attribute(void *data, const char *key, const char *value)
{
	recording *r = data;
	struct drover_fingerprint_cache *c = r->cache;
	if (!key || !value)
		return;
	char **keys = realloc(c->keys, (c->count + 1) * sizeof(*keys));
	if (keys)
		c->keys = keys;
	char **values = realloc(c->values, (c->count + 1) * sizeof(*values));
	if (values)
		c->values = values;
	char *k = strdup(key), *v = strdup(value);
	if (keys && values && k && v) {
		c->keys[c->count] = k;
		c->values[c->count++] = v;
	} else {
		free(k);
		free(v);
		c->complete = 0;
	}
	if (r->set_attribute)
		r->set_attribute(r->sink, key, value);
}

void drover_plugin_fingerprint_forget(drover_plugin *p)
{
	drover_fingerprint_cache_free(p->fingerprint);
	p->fingerprint = NULL;
}

int drover_plugin_fingerprint(drover_plugin *p, int fresh, drover_fingerprint *fp,
                              drover_err *err)
{
	struct drover_fingerprint_cache *c = p->fingerprint;
	/* Another process (the agent, an earlier command) asked a moment ago. */
	if (!fresh && !c && (c = drover_fingerprint_cache_load(p)))
		p->fingerprint = c;
	if (!fresh && c && c->complete) {
		fp->health = c->health;
		snprintf(fp->description, sizeof(fp->description), "%s", c->description);
		for (size_t i = 0; fp->set_attribute && i < c->count; i++)
			fp->set_attribute(fp->sink, c->keys[i], c->values[i]);
		if (c->rc < 0 && err)
			*err = c->err;
		return c->rc;
	}
	drover_plugin_fingerprint_forget(p);
	c = calloc(1, sizeof(*c));
	recording rec = {c, fp->sink, fp->set_attribute};
	drover_fingerprint asked = *fp;
	if (c) {
		c->complete = 1;
		asked.sink = &rec;
		asked.set_attribute = record_attribute;
	}
	drover_err local = {{0}};
	int rc = p->desc->fingerprint(p->ctx, &asked, &local);
	fp->health = asked.health;
	memcpy(fp->description, asked.description, sizeof(fp->description));
	fp->description[sizeof(fp->description) - 1] = '\0';
	if (rc < 0 && err)
		*err = local;
	if (c) {
		c->rc = rc;
		c->err = local;
		c->health = fp->health;
		snprintf(c->description, sizeof(c->description), "%s", fp->description);
		p->fingerprint = c;
		drover_fingerprint_cache_save(p, c);
	}
	return rc;
}

drover_fs_isolation drover_plugin_fs_isolation(const drover_plugin *p)
{
	drover_capabilities caps;

	memset(&caps, 0, sizeof(caps));
	caps.struct_size = sizeof(caps);
	if (!DROVER_PLUGIN_HAS(p, capabilities))
		return DROVER_FS_ISOLATION_NONE; /* the SDK's meaning of NULL */
	if (p->desc->capabilities(p->ctx, &caps) < 0)
		return DROVER_FS_ISOLATION_IMAGE;
	return caps.fs_isolation;
}

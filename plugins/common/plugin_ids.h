/* Sets of host uids or gids in Nomad's syntax for denied_host_uids and
 * denied_host_gids: comma-separated ids and inclusive ranges, "0,10-20". */
#ifndef PLUGIN_IDS_H
#define PLUGIN_IDS_H

#include <stddef.h>

#include <drover/driver.h>

typedef struct plugin_ids {
	size_t n;
	struct {
		unsigned long lo, hi;
	} *ranges;
} plugin_ids;

/* Parses `text` ("" or NULL: the empty set); `field` names the option in the
 * message. 0, or -EINVAL / -ENOMEM with *out untouched. */
int plugin_ids_parse(const char *field, const char *text, plugin_ids *out, drover_err *err);

int plugin_ids_contains(const plugin_ids *ids, unsigned long id);

void plugin_ids_free(plugin_ids *ids);

#endif

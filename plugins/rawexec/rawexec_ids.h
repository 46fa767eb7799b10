/* Sets of host uids or gids in Nomad's syntax for denied_host_uids and
 * denied_host_gids: comma-separated ids and inclusive ranges, "0,10-20". */
#ifndef RAWEXEC_IDS_H
#define RAWEXEC_IDS_H

#include <stddef.h>

#include <drover/driver.h>

typedef struct rawexec_ids {
	size_t n;
	struct {
		unsigned long lo, hi;
	} *ranges;
} rawexec_ids;

/* Parses `text` ("" or NULL: the empty set); `field` names the option in the
 * message. 0, or -EINVAL / -ENOMEM with *out untouched. */
int rawexec_ids_parse(const char *field, const char *text, rawexec_ids *out, drover_err *err);

int rawexec_ids_contains(const rawexec_ids *ids, unsigned long id);

void rawexec_ids_free(rawexec_ids *ids);

#endif

#include "config.h"

#include "plugin_suggest.h"

#include <stdio.h>
#include <string.h>

#include "display.h"

/* Levenshtein distance, case-insensitive; names longer than 63 bytes are not
 * typos of a driver name. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];
	if (la > 63 || lb > 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			char ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
			size_t best = diag + (ca != cb);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void drover_plugin_set_suggest(const drover_plugin_set *set, const char *name, char *buf,
                               size_t len)
{
	size_t off = 0, best = (size_t)-1;
	const char *closest = NULL;
	if (len == 0)
		return;
	buf[0] = '\0';
	if (!set->count) {
		snprintf(buf, len, "no driver is loaded");
		return;
	}
	off += (size_t)snprintf(buf, len, "the loaded drivers are ");
	for (size_t i = 0; i < set->count && off < len; i++) {
		const char *n = set->plugins[i]->desc->name;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", n);
		size_t d = distance(name, n);
		if (d < best) {
			best = d;
			closest = n;
		}
	}
	/* Within a third of the name: "rawexec", "Docker", "exce". */
	if (closest && off < len && best > 0 && best <= (strlen(closest) + 2) / 3)
		snprintf(buf + off, len - off, "; did you mean \"%s\"?", closest);
}

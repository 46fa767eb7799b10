/* What to tell someone whose job names a driver that is not loaded. */
#ifndef DROVER_HOST_PLUGIN_SUGGEST_H
#define DROVER_HOST_PLUGIN_SUGGEST_H

#include <stddef.h>

#include "loader.h"

/* "the loaded drivers are docker, exec, raw_exec; did you mean \"raw_exec\"?"
 * into buf: the suggestion is the loaded name closest to `name` by edit
 * distance, when it is close enough to be a typo. */
void drover_plugin_set_suggest(const drover_plugin_set *set, const char *name, char *buf,
                               size_t len);

#endif

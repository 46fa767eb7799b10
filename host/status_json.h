/* `drover status -json`: allocations as Nomad's HTTP API encodes them
 * (api.Allocation / AllocListStub, api.TaskState, api.TaskEvent), so tools
 * written for Nomad's API read them (host/status_json.c). */
#ifndef DROVER_HOST_STATUS_JSON_H
#define DROVER_HOST_STATUS_JSON_H

#include <stdio.h>

#include "status_view.h"

/* The allocations as one JSON array, four spaces of indent, to `f`. */
void status_json_list(FILE *f, const status_alloc *allocs, size_t count);
/* One allocation as a JSON object (`drover status -json ALLOC`), to `f`. */
void status_json_one(FILE *f, const status_alloc *a);

#endif

/* `drover status -json`: allocations as Nomad's HTTP API encodes them
 * (api.Allocation / AllocListStub, api.TaskState, api.TaskEvent), so tools
 * written for Nomad's API read them (host/status_json.c). */
#ifndef DROVER_HOST_STATUS_JSON_H
#define DROVER_HOST_STATUS_JSON_H

#include <yajl/yajl_gen.h>

#include "status_view.h"

void status_json_alloc(yajl_gen g, const status_alloc *a);

#endif

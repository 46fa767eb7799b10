/* The docker driver's task and plugin schemas (docker_schema.c). */
#ifndef DROVER_DOCKER_SCHEMA_H
#define DROVER_DOCKER_SCHEMA_H

#include <drover/schema.h>

extern const drover_field docker_task_schema[];
extern const drover_field docker_plugin_schema[];

#endif

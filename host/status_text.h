/* `drover status` for people: Nomad's shapes (host/status_text.c). */
#ifndef DROVER_HOST_STATUS_TEXT_H
#define DROVER_HOST_STATUS_TEXT_H

#include <stdio.h>

#include "status_view.h"

/* The allocations table of `nomad job status`: ID, Job, Group, Desired,
 * Status, Created, one line each, columns aligned to the widest cell.
 * full_ids prints whole ids rather than their first 8 characters. */
void status_text_table(FILE *out, const status_alloc *allocs, size_t count, int full_ids);

/* One allocation as `nomad alloc status` shows it: its fields, then each task
 * with its state, exit and recent events (the last `events` of them). */
void status_text_alloc(FILE *out, const status_alloc *a, size_t events);

/* A job as `nomad job status JOB` shows it: its fields, a summary per group and
 * the allocations table. */
void status_text_job(FILE *out, const char *job_id, const status_alloc *allocs, size_t count,
                     int full_ids);

#endif

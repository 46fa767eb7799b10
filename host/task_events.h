/* Task events as the user reads them: Nomad's event types (Received, Task
 * Setup, Started, Terminated, Killing, Killed, Driver Failure...), one line
 * each, with time, short allocation id and task name. */
#ifndef DROVER_HOST_TASK_EVENTS_H
#define DROVER_HOST_TASK_EVENTS_H

#include <stdio.h>

/* On a terminal, consecutive "Pulling" events of one task share one line,
 * rewritten in place ("\r", clear to end of line) and ended by the next
 * event of any kind; elsewhere every event is a line of its own. */
void drover_task_event_print(FILE *out, const char *alloc_id, const char *task, const char *type,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Every printed event is also handed to `fn` (NULL: none), for the state
 * store. `fn` may be called from several threads at once. */
typedef void (*drover_task_event_recorder)(void *data, const char *alloc_id, const char *task,
                                           const char *type, const char *message);
void drover_task_events_set_recorder(drover_task_event_recorder fn, void *data);

/* While on, printed lines are held back; turning it off prints them, in
 * order. The runner holds them while its store writes are batched, so that a
 * line never shows before what it reports is committed. */
void drover_task_events_hold(int on);

#endif

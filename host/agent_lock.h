/* The data dir lock of `drover agent`: one agent per data dir. flock on
 * <data_dir>/agent.lock, so a lock left by a killed agent is released by the
 * kernel with its process; the holder's pid is written in the file for the
 * message the next one prints. */
#ifndef DROVER_HOST_AGENT_LOCK_H
#define DROVER_HOST_AGENT_LOCK_H

#include <drover/driver.h>

#define DROVER_AGENT_LOCK_FILE "agent.lock"

/* 0 and *fd (keep it open as long as the lock is wanted), -EBUSY with a
 * message naming the pid holding it, or another -errno. */
int drover_agent_lock(const char *data_dir, int *fd, drover_err *err);

#endif

/* Waiting on the real event, with a deadline, instead of sleeping in a loop.
 *
 * test_wait_in_dir: a condition about files in one directory (a log line, a
 * pid file, an exit status) is checked again each time inotify says something
 * in that directory changed; test_wait_gone: a process (child or not) is
 * waited for through a pidfd.
 */
#ifndef DROVER_TEST_WAIT_H
#define DROVER_TEST_WAIT_H

#include <errno.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline long long test_wait_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 once ready(arg) holds, 0 when it still does not after timeout_ms. The
 * watch is set before the first check, so no change can slip in between. */
static inline int test_wait_in_dir(const char *dir, int (*ready)(void *arg), void *arg,
                                   long long timeout_ms)
{
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino < 0)
		return ready(arg);
	/* A directory that does not exist (yet) cannot be watched: the caller
	 * waits on one that the code under test has already made. */
	if (inotify_add_watch(ino, dir, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
	                                        IN_ATTRIB) < 0) {
		close(ino);
		return ready(arg);
	}
	long long deadline = test_wait_now_ms() + timeout_ms;
	int ok = ready(arg);
	while (!ok) {
		long long left = deadline - test_wait_now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = ino, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		char buf[4096];
		while (read(ino, buf, sizeof(buf)) > 0)
			;
		ok = ready(arg);
	}
	close(ino);
	return ok;
}

/* 1 once process `pid` has ended (a zombie counts: it runs no more), 0 when
 * it still runs after timeout_ms. */
static inline int test_wait_gone(pid_t pid, long long timeout_ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return errno == ESRCH;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int r;
	do
		r = poll(&pfd, 1, (int)timeout_ms);
	while (r < 0 && errno == EINTR);
	close(fd);
	return r == 1;
}

#endif

/* Task event lines as `drover run` prints them: ordinary lines into a file,
 * and on a real pseudo-terminal the pull progress of a task rewritten in place. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "task_events.h"

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void print_sequence(FILE *out)
{
	drover_task_event_print(out, "aaaaaaaa-1", "web", "Pulling", "pulled 10%% of img");
	drover_task_event_print(out, "aaaaaaaa-1", "web", "Pulling", "pulled 60%% of img");
	drover_task_event_print(out, "aaaaaaaa-1", "db", "Pulling", "pulled 5%% of pg");
	drover_task_event_print(out, "aaaaaaaa-1", "web", "Started", "task started");
}

Test(task_events, a_file_gets_one_line_per_event)
{
	FILE *f = tmpfile();
	char buf[4096];
	size_t n;

	cr_assert_not_null(f);
	print_sequence(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_assert_eq(count(buf, "\n"), 4, "%s", buf);
	cr_assert_null(strchr(buf, '\r'), "a carriage return in a file: %s", buf);
	cr_assert_not_null(strstr(buf, "pulled 10% of img\n"));
	cr_assert_not_null(strstr(buf, "pulled 60% of img\n"));
	cr_assert_not_null(strstr(buf, "pulled 5% of pg\n"));
	cr_assert_not_null(strstr(buf, "task started\n"));
}

/* Everything the slave side wrote, read from the master until the slave is
 * closed (EIO) or the deadline passes. */
static size_t read_all(int master, char *buf, size_t cap, int deadline_ms)
{
	size_t len = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN, .revents = 0 };
		long spent;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		cr_assert_lt(spent, deadline_ms, "the terminal output never ended");
		if (poll(&pfd, 1, (int)(deadline_ms - spent)) <= 0)
			continue;
		r = read(master, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || len + (size_t)r >= cap - 1) {
			if (r > 0)
				len += (size_t)r;
			break;
		}
		len += (size_t)r;
	}
	buf[len] = '\0';
	return len;
}

Test(task_events, a_terminal_rewrites_the_pull_progress_of_one_task)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	struct termios tio;
	char buf[4096];
	const char *p;
	FILE *tty;
	int slave;

	cr_assert_geq(master, 0);
	cr_assert_eq(grantpt(master), 0);
	cr_assert_eq(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	cr_assert_geq(slave, 0);
	/* Raw: the bytes arrive as written, no "\n" to "\r\n" translation. */
	cr_assert_eq(tcgetattr(slave, &tio), 0);
	cfmakeraw(&tio);
	cr_assert_eq(tcsetattr(slave, TCSANOW, &tio), 0);
	tty = fdopen(slave, "w");
	cr_assert_not_null(tty);
	print_sequence(tty);
	fclose(tty);
	read_all(master, buf, sizeof(buf), 10000);
	close(master);

	/* The second progress of "web" rewrites the first: no newline between. */
	p = strstr(buf, "pulled 10% of img");
	cr_assert_not_null(p, "%s", buf);
	cr_assert_eq(strncmp(p + strlen("pulled 10% of img"), "\r\033[K", 4), 0, "%s", buf);
	cr_assert_eq(count(buf, "\r\033[K"), 1, "%s", buf);
	/* Another task's progress ends the line and opens its own. */
	cr_assert_not_null(strstr(buf, "pulled 60% of img\n"), "%s", buf);
	/* Any other event ends the open line and is a line of its own. */
	cr_assert_not_null(strstr(buf, "pulled 5% of pg\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "task started\n"), "%s", buf);
	cr_assert_eq(count(buf, "\n"), 3, "%s", buf);
}

/* Task statistics from /proc/<pid>/stat of every process in the task's group. */
#include "plugin_stats.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct pstat {
	int pgrp;
	unsigned long long utime, stime, start_time;
	long long rss_pages;
} pstat;

/* Fields of /proc/<pid>/stat (1-based numbering of proc(5)): 5 pgrp,
 * 14 utime, 15 stime, 22 starttime, 24 rss. */
static int pstat_read(const char *pid, pstat *out)
{
	char path[64], buf[1024];
	unsigned long long f[25] = { 0 };
	const char *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -ESRCH;
	p += 2;
	for (field = 3; field <= 24 && *p; field++) {
		char *end;
		if (field == 3) {
			end = (char *)p + 1; /* the state letter */
		} else {
			f[field] = (unsigned long long)strtoll(p, &end, 10);
		}
		p = end;
		while (*p == ' ')
			p++;
	}
	if (field <= 24)
		return -ESRCH;
	out->pgrp = (int)f[5];
	out->utime = f[14];
	out->stime = f[15];
	out->start_time = f[22];
	out->rss_pages = (long long)f[24];
	return 0;
}

int plugin_stats_read(int pid, unsigned long long start_time, drover_task_stats *out,
                       drover_err *err)
{
	drover_task_stats s;
	unsigned long long ticks_ns;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct timespec ts;
	char name[32];
	pstat ps;
	DIR *d;
	struct dirent *de;

	snprintf(name, sizeof(name), "%d", pid);
	if (pstat_read(name, &ps) < 0 || ps.start_time != start_time)
		return drover_err_set(err, -ESRCH, "task pid %d has exited: no statistics", pid);
	if (tck <= 0)
		tck = 100;
	if (page <= 0)
		page = 4096;
	ticks_ns = 1000000000ULL / (unsigned long long)tck;

	memset(&s, 0, sizeof(s));
	d = opendir("/proc");
	if (!d)
		return drover_err_set(err, -errno, "cannot list /proc for the statistics of task pid "
		                      "%d: %s",
		                      pid, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (pstat_read(de->d_name, &ps) < 0 || ps.pgrp != pid)
			continue;
		s.cpu_user_ns += ps.utime * ticks_ns;
		s.cpu_system_ns += ps.stime * ticks_ns;
		if (ps.rss_pages > 0)
			s.memory_rss_bytes += (unsigned long long)ps.rss_pages * (unsigned long long)page;
		s.pids++;
	}
	closedir(d);
	s.memory_usage_bytes = s.memory_rss_bytes;
	clock_gettime(CLOCK_REALTIME, &ts);
	s.timestamp_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	s.struct_size = out->struct_size;
	memcpy(out, &s, out->struct_size < sizeof(s) ? out->struct_size : sizeof(s));
	return 0;
}

int plugin_stats_alive(int pid, unsigned long long start_time)
{
	char name[32];
	pstat ps;

	snprintf(name, sizeof(name), "%d", pid);
	return pstat_read(name, &ps) == 0 && ps.start_time == start_time;
}

/* drover logs: a task's stdout or stderr from the rotated files the shim
 * writes (alloc/logs/<task>.<stream>.N, N counting up), optionally followed
 * across rotations until the task is dead. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "commands.h"
#include "state_recover.h"

/* The indexes of the stream's files, ascending. */
static int list_indexes(const char *dir, const char *prefix, unsigned long **out, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	size_t plen = strlen(prefix), n = 0;
	unsigned long *idx = NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, plen) != 0 || !e->d_name[plen])
			continue;
		char *end;
		unsigned long v = strtoul(e->d_name + plen, &end, 10);
		if (*end || e->d_name[plen] < '0' || e->d_name[plen] > '9')
			continue;
		unsigned long *grown = realloc(idx, (n + 1) * sizeof(*idx));
		if (!grown) {
			free(idx);
			closedir(d);
			return -ENOMEM;
		}
		idx = grown;
		size_t k = n++;
		while (k > 0 && idx[k - 1] > v) {
			idx[k] = idx[k - 1];
			k--;
		}
		idx[k] = v;
	}
	closedir(d);
	*out = idx;
	*count = n;
	return 0;
}

static int open_index(const char *dir, const char *prefix, unsigned long index)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s%lu", dir, prefix, index);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* Prints the last `lines` lines of the stream (all when lines < 0), reading
 * the newest files first so that a long history is not read for a short tail. */
static void print_tail(const char *dir, const char *prefix, const unsigned long *idx, size_t n,
                       long long lines, off_t *newest_from)
{
	size_t first = 0;
	long long seen = 0;
	long long skip_lines = 0;
	if (lines >= 0) {
		first = n;
		while (first > 0 && seen <= lines) {
			first--;
			int fd = open_index(dir, prefix, idx[first]);
			if (fd < 0)
				continue;
			char buf[65536];
			ssize_t r;
			long long nl = 0;
			char last = '\n';
			while ((r = read(fd, buf, sizeof(buf))) > 0) {
				for (ssize_t k = 0; k < r; k++)
					nl += buf[k] == '\n';
				last = buf[r - 1];
			}
			close(fd);
			/* A last line without its newline yet still counts as a line. */
			seen += nl + (first == n - 1 && last != '\n');
		}
		skip_lines = seen > lines ? seen - lines : 0;
	}
	if (newest_from)
		*newest_from = 0;
	for (size_t i = first; i < n; i++) {
		int fd = open_index(dir, prefix, idx[i]);
		if (fd < 0)
			continue;
		/* Followed, the newest file is left to follow(), which starts where
		 * the lines to skip end. */
		int leave = newest_from && i == n - 1;
		char buf[65536];
		ssize_t r;
		off_t at = 0;
		while ((r = read(fd, buf, sizeof(buf))) > 0) {
			ssize_t from = 0;
			while (skip_lines > 0 && from < r)
				if (buf[from++] == '\n')
					skip_lines--;
			if (leave) {
				at += from;
				if (skip_lines == 0)
					break;
				continue;
			}
			fwrite(buf + from, 1, (size_t)(r - from), stdout);
		}
		if (leave)
			*newest_from = at;
		close(fd);
	}
	fflush(stdout);
}

/* Prints `fd` from *offset on: everything when `final` (the shim has moved
 * on to the next file, or the task is dead), else only through the last
 * newline, because the shim may still move an unfinished last line to the
 * next file when it rotates. */
static void print_from(int fd, off_t *offset, int final)
{
	char buf[65536];
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), *offset);
		if (n <= 0)
			break;
		size_t use = (size_t)n;
		if (!final) {
			const char *nl = memrchr(buf, '\n', (size_t)n);
			if (nl)
				use = (size_t)(nl - buf) + 1;
			else if ((size_t)n < sizeof(buf))
				break; /* only the start of a line so far */
			/* A line longer than the buffer is printed as it comes. */
		}
		fwrite(buf, 1, use, stdout);
		*offset += (off_t)use;
		if (use < (size_t)n)
			break;
	}
	fflush(stdout);
}

/* Follows the newest file from `offset`, moving to the next one when the shim
 * creates it, until the task's wait descriptor says it is dead. */
static int follow(const char *dir, const char *prefix, unsigned long index, off_t offset,
                  drover_rtask *t)
{
	drover_err err = {{0}};
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino < 0 || inotify_add_watch(ino, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		fprintf(stderr, "drover logs: cannot watch \"%s\": %s\n", dir, strerror(errno));
		if (ino >= 0)
			close(ino);
		return -errno;
	}
	int fd = open_index(dir, prefix, index);
	int wfd = t->plugin->desc->wait_fd(t->plugin->ctx, t->task, &err);
	int dead = wfd < 0;
	for (;;) {
		/* Catch up: the current file, then any newer ones. */
		if (fd < 0)
			fd = open_index(dir, prefix, index);
		if (fd >= 0)
			print_from(fd, &offset, dead);
		/* The shim names file N+1 only once file N is final (shim_log.c). */
		int next = open_index(dir, prefix, index + 1);
		if (next >= 0) {
			if (fd >= 0) {
				print_from(fd, &offset, 1);
				close(fd);
			}
			fd = next;
			offset = 0;
			index++;
			continue;
		}
		if (dead)
			break;
		struct pollfd fds[2] = {{.fd = ino, .events = POLLIN}, {.fd = wfd, .events = POLLIN}};
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		char evbuf[4096];
		while (read(ino, evbuf, sizeof(evbuf)) > 0)
			;
		if (fds[1].revents)
			dead = 1; /* one more pass reads what was written before the exit */
	}
	if (fd >= 0)
		close(fd);
	if (wfd >= 0)
		close(wfd);
	close(ino);
	return 0;
}

static int is_number(const char *s)
{
	return s && *s && strspn(s, "0123456789") == strlen(s);
}

static int parse_lines(const char *flag, const char *text, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (*end || errno || v < 0 || !*text) {
		fprintf(stderr, "drover logs: %s takes a number of lines >= 0, not \"%s\"\n", flag,
		        drover_display(text));
		return -1;
	}
	*out = v;
	return 0;
}

int drover_cmd_logs(int argc, char **argv)
{
	drover_common_opts opts = {0};
	int follow_flag = 0, use_stderr = 0, nomad_tail = 0;
	const char *tail = NULL, *n_lines = NULL;
	const drover_flag flags[] = {
		{"f", NULL, &follow_flag, "keep printing new output until the task is dead"},
		{"stderr", NULL, &use_stderr, "show stderr instead of stdout"},
		{"tail", &tail, NULL, "N: only the last N lines (or Nomad's -tail -n N; -tail alone: 10)"},
		{"n", &n_lines, NULL, "N: with -tail, the number of lines, as in Nomad"},
		{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	/* Nomad spells it `-tail -n N` (-tail a switch); drover's `-tail N` stays. */
	char **av = calloc((size_t)argc + 1, sizeof(*av));
	int ac = 0;
	if (!av) {
		fprintf(stderr, "drover logs: out of memory\n");
		return DROVER_EXIT_FAILURE;
	}
	for (int i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "-tail") == 0 || strcmp(argv[i], "--tail") == 0) &&
		    (i + 1 == argc || !is_number(argv[i + 1]))) {
			nomad_tail = 1;
			continue;
		}
		av[ac++] = argv[i];
	}
	int rc = drover_flags_parse(flags, &opts, ac, av, &args, &err);
	free(av);
	if (rc < 0) {
		fprintf(stderr, "drover logs: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help || args.count < 1 || args.count > 2) {
		if (!opts.help)
			fprintf(stderr, "drover logs: %s\n\n",
			        args.count ? "too many arguments: expected ALLOC and at most one TASK"
			                   : "missing the allocation id (ALLOC)");
		drover_flags_print_help(opts.help ? stdout : stderr, "drover logs [options] ALLOC [TASK]",
		                        "Prints the task's stdout (or stderr) from its rotated log files,\n"
		                        "oldest first. TASK may be left out when the allocation has one\n"
		                        "task. With -f, keeps printing across rotations until the task is\n"
		                        "dead. -tail N, or Nomad's -tail -n N, prints only the last N lines.",
		                        flags);
		drover_strv_clear(&args);
		return opts.help ? DROVER_EXIT_OK : DROVER_EXIT_USAGE;
	}
	long long lines = -1;
	if ((tail && parse_lines("-tail", tail, &lines) < 0) ||
	    (n_lines && parse_lines("-n", n_lines, &lines) < 0)) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (n_lines && !nomad_tail && !tail) {
		fprintf(stderr, "drover logs: -n %s needs -tail (Nomad's -tail -n N)\n", n_lines);
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (nomad_tail && !n_lines && !tail)
		lines = 10;
	drover_context ctx;
	drover_state *st;
	if (drover_cmd_open("drover logs", &opts, &ctx, &st) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_ralloc a;
	int exit_code = DROVER_EXIT_FAILURE;
	if (drover_cmd_load_alloc("drover logs", &ctx, st, args.items[0], &a) == 0) {
		drover_rtask *t = args.count == 2 ? drover_ralloc_find_task(&a, args.items[1])
		                  : a.count == 1 ? &a.tasks[0] : NULL;
		_cleanup_(drover_freep) char *prefix =
			t ? drover_strdup_printf("%s.%s.", t->row.name, use_stderr ? "stderr" : "stdout")
			  : NULL;
		unsigned long *idx = NULL;
		size_t n = 0;
		if (!t && args.count == 1) {
			fprintf(stderr, "drover logs: allocation \"%s\" has %zu tasks: name one (drover logs ALLOC TASK):",
			        a.alloc.id, a.count);
			for (size_t i = 0; i < a.count; i++)
				fprintf(stderr, "%s %s", i ? "," : "", drover_display(a.tasks[i].row.name));
			fputc('\n', stderr);
		} else if (!t)
			fprintf(stderr, "drover logs: allocation \"%s\" has no task \"%s\"\n", a.alloc.id,
			        drover_display(args.items[1]));
		else if (!prefix)
			fprintf(stderr, "drover logs: out of memory\n");
		else if ((rc = list_indexes(a.dirs.log_dir, prefix, &idx, &n)) < 0)
			fprintf(stderr, "drover logs: cannot read \"%s\": %s\n", a.dirs.log_dir, strerror(-rc));
		else {
			/* Followed only while the task runs; a dead task's files are final. */
			int following = follow_flag && drover_rtask_refresh(st, &a, t, &err) == 0 && t->task;
			off_t newest_from = 0;
			print_tail(a.dirs.log_dir, prefix, idx, n, lines, following ? &newest_from : NULL);
			exit_code = DROVER_EXIT_OK;
			if (following)
				follow(a.dirs.log_dir, prefix, n ? idx[n - 1] : 0, newest_from, t);
		}
		free(idx);
		drover_ralloc_clear(&a);
	}
	drover_state_close(st);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}

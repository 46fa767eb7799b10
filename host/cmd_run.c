/* drover run: every task of a job, attached with task events on stdout, or
 * detached in a background drover process; both record into the state store. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "context.h"
#include "jobspec.h"
#include "json.h"
#include "runner.h"
#include "runner_store.h"
#include "state_store.h"
#include "value_tree.h"

/* Parses the job file once: the document that is validated is the one stored. */
static int load_job(const char *path, drover_jobspec *job, char **json, drover_errlist *errors)
{
	drover_err err = {{0}};
	drover_value doc = {.type = DROVER_VALUE_NULL};
	int rc = drover_json_parse_file(path, &doc, &err);
	if (rc < 0) {
		drover_jobspec_file_error(errors, path, rc, &err);
		return rc;
	}
	drover_errlist local = {0};
	rc = drover_jobspec_from_value(&doc, job, &local);
	for (size_t i = 0; i < local.count; i++)
		drover_errlist_add(errors, "%s: %s", path, local.lines[i]);
	drover_errlist_clear(&local);
	if (rc == 0 && (rc = drover_runner_store_job_text(&doc, json, &err)) < 0)
		drover_errlist_add(errors, "%s: %s", path, err.message);
	drover_value_clear(&doc);
	return rc;
}

/* The detached runner's stdio: nothing from the terminal, output appended to
 * <data_dir>/drover-run.log where the operator can read it. */
static int detach_stdio(const char *data_dir)
{
	_cleanup_(drover_freep) char *log = drover_strdup_printf("%s/drover-run.log", data_dir);
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int log_fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640) : -1;
	if (null_fd < 0 || log_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
	    dup2(log_fd, 2) < 0)
		return -1;
	close(null_fd);
	close(log_fd);
	return 0;
}

/* Prints what the detached runner reported: its allocations, and every task
 * that could not start. 0 when everything started. */
static int report_detached(int fd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return -ENOMEM;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		fwrite(buf, 1, (size_t)n, mem);
	}
	fclose(mem);
	int allocs = 0, failed = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "alloc ", 6) == 0) {
			printf("==> Allocation \"%s\" created\n", line + 6);
			allocs++;
		} else if (strncmp(line, "failed ", 7) == 0) {
			fprintf(stderr, "drover run: task could not start: %s\n", drover_display(line + 7));
			failed++;
		} else if (strncmp(line, "error ", 6) == 0) {
			fprintf(stderr, "drover run: %s\n", drover_display(line + 6));
			failed++;
		}
	}
	free(text);
	if (allocs == 0) {
		fprintf(stderr, "drover run: the detached runner created no allocation (see drover-run.log in the data dir)\n");
		return -EIO;
	}
	return failed ? -EIO : 0;
}

static int run_detached(drover_context *ctx, const drover_jobspec *job,
                        const drover_job_configs *configs, const char *json)
{
	drover_err err = {{0}};
	int rc = drover_data_dir_prepare(ctx->data_dir);
	if (rc < 0) {
		fprintf(stderr, "drover run: cannot create the data dir \"%s\": %s\n", ctx->data_dir,
		        strerror(-rc));
		return DROVER_EXIT_FAILURE;
	}
	int notify[2];
	if (pipe2(notify, O_CLOEXEC) < 0) {
		fprintf(stderr, "drover run: pipe: %s\n", strerror(errno));
		return DROVER_EXIT_FAILURE;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "drover run: fork: %s\n", strerror(errno));
		return DROVER_EXIT_FAILURE;
	}
	if (pid == 0) {
		close(notify[0]);
		/* Its own session: no terminal signal (Ctrl-C, hangup) reaches it. */
		if (setsid() < 0 || detach_stdio(ctx->data_dir) < 0)
			_exit(DROVER_EXIT_FAILURE);
		drover_state *st = NULL;
		if (drover_state_open(ctx->data_dir, &st, &err) < 0) {
			fprintf(stderr, "drover run: %s\n", drover_display(err.message));
			_exit(DROVER_EXIT_FAILURE);
		}
		if (drover_runner_store_attach(st, json, notify[1], &err) < 0)
			_exit(DROVER_EXIT_FAILURE);
		fprintf(stderr, "drover: detached runner pid %d for job \"%s\"\n", (int)getpid(), job->id);
		rc = drover_runner_run(ctx, job, configs, stdout);
		drover_runner_store_detach();
		drover_state_close(st);
		fflush(NULL);
		_exit(rc == 0 ? DROVER_EXIT_OK : DROVER_EXIT_FAILURE);
	}
	close(notify[1]);
	rc = report_detached(notify[0]);
	close(notify[0]);
	/* The runner is not waited for: it outlives this command, and init reaps it. */
	return rc == 0 ? DROVER_EXIT_OK : DROVER_EXIT_FAILURE;
}

static int run_attached(drover_context *ctx, const drover_jobspec *job,
                        const drover_job_configs *configs, const char *json)
{
	drover_err err = {{0}};
	drover_state *st = NULL;
	if (drover_state_open(ctx->data_dir, &st, &err) < 0 ||
	    drover_runner_store_attach(st, json, -1, &err) < 0) {
		fprintf(stderr, "drover run: %s\nnothing was started\n", drover_display(err.message));
		drover_state_close(st);
		return DROVER_EXIT_FAILURE;
	}
	int rc = drover_runner_run(ctx, job, configs, stdout);
	if (rc < 0)
		fprintf(stderr, "drover run: %s\n", strerror(-rc));
	drover_runner_store_detach();
	drover_state_close(st);
	return rc == 0 ? DROVER_EXIT_OK : DROVER_EXIT_FAILURE;
}

int drover_cmd_run(int argc, char **argv)
{
	drover_common_opts opts = {0};
	int detach = 0;
	const drover_flag flags[] = {
		{"detach", NULL, &detach,
		 "start the job in a background drover process, print its allocations, return"},
		{NULL, NULL, NULL, NULL}};
	drover_strv args = {0};
	drover_err err = {{0}};
	if (drover_flags_parse(flags, &opts, argc, argv, &args, &err) < 0) {
		fprintf(stderr, "drover run: %s\n", drover_display(err.message));
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	if (opts.help) {
		drover_flags_print_help(stdout, "drover run [options] JOB.json",
		                        "Validates the job, then runs every task of every group (Count\n"
		                        "allocations each) and prints task events as they happen. Ctrl-C or\n"
		                        "SIGTERM stops the tasks gracefully: KillSignal, KillTimeout, then\n"
		                        "SIGKILL. Exits 0 only when every task exited 0.\n"
		                        "With -detach, the job runs in a background drover process (its\n"
		                        "output goes to <data_dir>/drover-run.log); the command prints\n"
		                        "==> Allocation \"<id>\" created per allocation and returns once\n"
		                        "every task has started (1 when one could not). Everything is\n"
		                        "recorded in <data_dir>/state.db for drover status, logs, wait...",
		                        flags);
		drover_strv_clear(&args);
		return DROVER_EXIT_OK;
	}
	if (args.count != 1) {
		fprintf(stderr, "drover run: expected one job file, got %zu arguments (see -help)\n",
		        args.count);
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_context ctx;
	if (drover_context_open_lazy(&opts, &ctx) < 0) {
		drover_strv_clear(&args);
		return DROVER_EXIT_USAGE;
	}
	drover_context_report_plugin_errors(&ctx);

	drover_jobspec job = {0};
	drover_errlist errors = {0};
	drover_job_configs configs = {0};
	char *json = NULL;
	int rc = load_job(args.items[0], &job, &json, &errors);
	if (rc == 0)
		drover_jobspec_cap_kill_timeout(&job, drover_agent_config_max_kill_timeout_ms(&ctx.config));
	if (rc == 0) {
		for (size_t i = 0; i < job.ignored_count; i++)
			fprintf(stderr, "drover: %s: \"%s\" is not used by drover, ignoring\n", args.items[0],
			        job.ignored[i]);
		rc = drover_job_check(&ctx, &job, 1, &configs, &errors);
	}
	drover_errlist_print(stderr, &errors, NULL);
	int exit_code = DROVER_EXIT_FAILURE;
	if (rc == 0)
		exit_code = detach ? run_detached(&ctx, &job, &configs, json)
		                   : run_attached(&ctx, &job, &configs, json);
	else
		fprintf(stderr, "drover run: nothing was started\n");
	free(json);
	drover_job_configs_clear(&configs);
	drover_errlist_clear(&errors);
	drover_jobspec_clear(&job);
	drover_context_close(&ctx);
	drover_strv_clear(&args);
	return exit_code;
}

#include "config.h"

#include "agent.h"
#include "network/alloc_network.h"

#include "display.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "agent_lock.h"
#include "crash.h"
#include "proc.h"
#include "runner.h"
#include "runner_store.h"
#include "state_orphans.h"
#include "state_recover.h"
#include "state_store.h"
#include "util.h"
#include "value_tree.h"

typedef struct batch {
	pthread_t thread;
	int running;        /* thread created and not joined */
	int done;           /* set by the thread when it returns */
	drover_context *ctx;
	drover_ralloc *allocs;
	size_t count;
	int detach_fd;
	FILE *log;
	pthread_mutex_t *lock;
} batch;

typedef struct watched_owner {
	int pid;
	unsigned long long start;
	int pidfd;
} watched_owner;

typedef struct agent {
	drover_context *ctx;
	const drover_agent_settings *settings;
	FILE *log;
	drover_state *st;
	int self_pid;
	unsigned long long self_start;
	int detach_fd;
	batch **batches;
	size_t batch_count;
	watched_owner *owners;
	size_t owner_count;
	drover_health *health; /* per plugin, last fingerprint; -1: never */
	/* Allocations this agent could not adopt: not tried again on every change
	 * of the store (its own release is one), only at the fingerprint. */
	drover_strv refused;
	pthread_mutex_t lock;
} agent;

static void agent_log(agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void agent_log(agent *a, const char *fmt, ...)
{
	char when[32];
	char line[2048];
	va_list ap;
	drover_format_time(drover_now_ms(), when, sizeof(when));
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* The lines carry task events and driver messages: job text. */
	fprintf(a->log, "%s  drover agent: %s\n", when, drover_display(line));
	fflush(a->log);
}

void drover_agent_settings_load(const drover_context *ctx, drover_agent_settings *out)
{
	out->fingerprint_interval_ms = DROVER_AGENT_FINGERPRINT_INTERVAL_MS;
	out->periodic_interval_ms = DROVER_AGENT_PERIODIC_INTERVAL_MS;
	const drover_value *v = drover_agent_config_lookup(&ctx->config, "client.fingerprint_interval");
	long long ms;
	/* agent_config checked it already. */
	if (v && v->type == DROVER_VALUE_STRING && drover_parse_duration_ms(v->u.string.ptr, &ms) == 0)
		out->fingerprint_interval_ms = ms;
	if (out->periodic_interval_ms > out->fingerprint_interval_ms)
		out->periodic_interval_ms = out->fingerprint_interval_ms;
}

/* ---------------------------------------------------------------- drivers */

static const char *health_name(drover_health h)
{
	return h == DROVER_HEALTH_HEALTHY     ? "healthy"
	       : h == DROVER_HEALTH_UNHEALTHY ? "unhealthy"
	                                      : "undetected";
}

static void fingerprint_all(agent *a)
{
	for (size_t i = 0; i < a->ctx->plugins.count; i++) {
		drover_plugin *p = a->ctx->plugins.plugins[i];
		drover_fingerprint fp = {.struct_size = sizeof(fp)};
		drover_err err = {{0}};
		if (drover_plugin_fingerprint(p, 1, &fp, &err) < 0) {
			fp.health = DROVER_HEALTH_UNHEALTHY;
			snprintf(fp.description, sizeof(fp.description), "fingerprint failed: %.200s",
			         err.message);
		}
		if ((int)a->health[i] != (int)fp.health)
			agent_log(a, "driver \"%s\" is %s%s%s", p->desc->name, health_name(fp.health),
			          fp.description[0] ? ": " : "", fp.description);
		a->health[i] = fp.health;
	}
}

/* A driver that crashed drover too often is not called again (host/crash.h). */
static void quarantine_all(agent *a)
{
	for (size_t i = 0; i < a->ctx->plugins.count; i++) {
		drover_plugin *p = a->ctx->plugins.plugins[i];
		char why[sizeof(p->quarantine)];
		int q = drover_crash_quarantined(a->st, p, why, sizeof(why));
		if (q && strcmp(why, p->quarantine) != 0)
			agent_log(a, "%s", why);
		else if (!q && p->quarantine[0])
			agent_log(a, "driver \"%s\" is no longer quarantined", p->desc->name);
		pthread_mutex_lock(&a->lock);
		snprintf(p->quarantine, sizeof(p->quarantine), "%s", q ? why : "");
		pthread_mutex_unlock(&a->lock);
	}
}

static void periodic_all(agent *a)
{
	for (size_t i = 0; i < a->ctx->plugins.count; i++) {
		drover_plugin *p = a->ctx->plugins.plugins[i];
		if (p->desc_size < offsetof(drover_driver, periodic) + sizeof(p->desc->periodic) ||
		    !p->desc->periodic)
			continue;
		drover_err err = {{0}};
		if (p->desc->periodic(p->ctx, &err) < 0)
			agent_log(a, "driver \"%s\": periodic work failed: %s, ignoring", p->desc->name,
			          err.message);
	}
}

/* ------------------------------------------------------------- adoption */

static void *batch_thread(void *arg)
{
	batch *b = arg;
	int rc = drover_runner_resume(b->ctx, b->allocs, b->count, b->detach_fd, b->log);
	if (rc < 0)
		fprintf(b->log, "drover agent: running adopted allocations failed: %s\n", strerror(-rc));
	for (size_t i = 0; i < b->count; i++)
		drover_ralloc_clear(&b->allocs[i]);
	free(b->allocs);
	b->allocs = NULL;
	pthread_mutex_lock(b->lock);
	b->done = 1;
	pthread_mutex_unlock(b->lock);
	return NULL;
}

static int pidfd_open_checked(int pid, unsigned long long start)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* Opened after the check in the store: the pid may have been reused. */
	if (!drover_proc_alive(pid, start)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int watch_owner(agent *a, int pid, unsigned long long start)
{
	for (size_t i = 0; i < a->owner_count; i++)
		if (a->owners[i].pid == pid && a->owners[i].start == start)
			return 0;
	int fd = pidfd_open_checked(pid, start);
	if (fd < 0)
		return fd; /* gone meanwhile: the caller tries to adopt again */
	watched_owner *grown = realloc(a->owners, (a->owner_count + 1) * sizeof(*grown));
	if (!grown) {
		close(fd);
		return -ENOMEM;
	}
	a->owners = grown;
	a->owners[a->owner_count++] = (watched_owner){.pid = pid, .start = start, .pidfd = fd};
	agent_log(a, "watching pid %d, which runs allocations of its own", pid);
	return 0;
}

static void reap_batches(agent *a)
{
	size_t kept = 0;
	for (size_t i = 0; i < a->batch_count; i++) {
		batch *b = a->batches[i];
		pthread_mutex_lock(&a->lock);
		int done = b->done;
		pthread_mutex_unlock(&a->lock);
		if (done) {
			pthread_join(b->thread, NULL);
			free(b);
		} else {
			a->batches[kept++] = b;
		}
	}
	a->batch_count = kept;
}

static int live(const drover_state_alloc *al)
{
	return strcmp(al->client_status, "pending") == 0 || strcmp(al->client_status, "running") == 0;
}

/* Claims every live allocation whose owner is gone and runs them on in one new
 * thread; owners still alive are watched. */
static int refused(const agent *a, const char *id)
{
	for (size_t i = 0; i < a->refused.count; i++)
		if (strcmp(a->refused.items[i], id) == 0)
			return 1;
	return 0;
}

static int adopt(agent *a)
{
	drover_err err = {{0}};
	drover_state_alloc *list = NULL;
	size_t n = 0;
	reap_batches(a);
	int rc = drover_state_alloc_list(a->st, &list, &n, &err);
	if (rc < 0) {
		agent_log(a, "%s", err.message);
		return rc;
	}
	drover_ralloc *allocs = calloc(n ? n : 1, sizeof(*allocs));
	size_t count = 0;
	long long t0 = drover_monotonic_ms();
	for (size_t i = 0; allocs && i < n; i++) {
		const drover_state_alloc *al = &list[i];
		if (!live(al) || (al->owner_pid == a->self_pid && al->owner_start == a->self_start) ||
		    refused(a, al->id))
			continue;
		if (al->problem) {
			agent_log(a, "allocation \"%s\": damaged state row: %s, ignoring", al->id,
			          al->problem);
			continue;
		}
		int owner = 0;
		rc = drover_state_alloc_claim(a->st, al->id, a->self_pid, a->self_start, &owner, &err);
		if (rc == -EBUSY) {
			if (watch_owner(a, al->owner_pid, al->owner_start) == -ESRCH)
				i--; /* its owner died meanwhile: claim again */
			continue;
		}
		if (rc < 0) {
			agent_log(a, "%s, ignoring", err.message);
			continue;
		}
		if (drover_ralloc_load(a->ctx, a->st, al->id, &allocs[count], &err) < 0) {
			agent_log(a, "cannot adopt allocation \"%s\": %s", al->id, err.message);
			drover_state_alloc_release(a->st, al->id, a->self_pid, NULL);
			drover_strv_push(&a->refused, al->id);
			continue;
		}
		const char *quarantined = NULL;
		for (size_t k = 0; k < allocs[count].count; k++) {
			drover_rtask *t = &allocs[count].tasks[k];
			if (t->plugin && t->plugin->quarantine[0] && strcmp(t->row.state, "running") == 0)
				quarantined = t->plugin->quarantine;
		}
		if (quarantined) {
			/* Its running tasks stay as they are (their shims keep them): the
			 * driver that would watch them is not called again. */
			agent_log(a, "not adopting allocation \"%s\": %s", al->id, quarantined);
			drover_ralloc_clear(&allocs[count]);
			drover_state_alloc_release(a->st, al->id, a->self_pid, NULL);
			drover_strv_push(&a->refused, al->id);
			continue;
		}
		for (size_t k = 0; k < allocs[count].count; k++)
			if (allocs[count].tasks[k].error[0])
				agent_log(a, "allocation \"%s\": %s", al->id, allocs[count].tasks[k].error);
		count++;
	}
	drover_state_allocs_free(list, n);
	if (!allocs)
		return -ENOMEM;
	if (count == 0) {
		free(allocs);
		return 0;
	}
	agent_log(a, "adopted %zu allocation%s in %lld ms", count, count == 1 ? "" : "s",
	          drover_monotonic_ms() - t0);
	batch *b = calloc(1, sizeof(*b));
	batch **grown = b ? realloc(a->batches, (a->batch_count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(b);
		for (size_t i = 0; i < count; i++)
			drover_ralloc_clear(&allocs[i]);
		free(allocs);
		return -ENOMEM;
	}
	a->batches = grown;
	*b = (batch){.ctx = a->ctx, .allocs = allocs, .count = count, .detach_fd = a->detach_fd,
	             .log = a->log, .lock = &a->lock};
	if ((rc = pthread_create(&b->thread, NULL, batch_thread, b)) != 0) {
		agent_log(a, "cannot start a thread: %s", strerror(rc));
		for (size_t i = 0; i < count; i++)
			drover_ralloc_clear(&allocs[i]);
		free(allocs);
		free(b);
		return -rc;
	}
	b->running = 1;
	a->batches[a->batch_count++] = b;
	return 0;
}

/* Leaves every task running for the next owner. */
static void release_all(agent *a)
{
	uint64_t one = 1;
	if (write(a->detach_fd, &one, sizeof(one)) < 0)
		agent_log(a, "cannot tell the runners to detach: %s", strerror(errno));
	for (size_t i = 0; i < a->batch_count; i++) {
		pthread_join(a->batches[i]->thread, NULL);
		free(a->batches[i]);
	}
	a->batch_count = 0;
	drover_err err = {{0}};
	drover_state_alloc *list = NULL;
	size_t n = 0;
	if (drover_state_alloc_list(a->st, &list, &n, &err) < 0) {
		agent_log(a, "%s", err.message);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (list[i].owner_pid == a->self_pid &&
		    drover_state_alloc_release(a->st, list[i].id, a->self_pid, &err) < 0)
			agent_log(a, "%s, ignoring", err.message);
	drover_state_allocs_free(list, n);
}

static int arm_timer(int fd, long long ms)
{
	struct itimerspec its = {
		.it_interval = {ms / 1000, (ms % 1000) * 1000000},
		.it_value = {ms / 1000, (ms % 1000) * 1000000},
	};
	return timerfd_settime(fd, 0, &its, NULL);
}

/* The state store changed (another drover recorded an allocation, a start,
 * an exit): its new owners are looked at shortly, so that the death of any
 * owner is seen through its pidfd at once, not at the next fingerprint. A
 * burst of writes makes one rescan (STORE_SETTLE_MS after the first). */
#define STORE_SETTLE_MS 100

static void store_changed(agent *a, int ino, int settle_timer, int *armed)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int relevant = 0;
	ssize_t n;
	while ((n = read(ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->len && strncmp(ev->name, DROVER_STATE_FILE, strlen(DROVER_STATE_FILE)) == 0)
				relevant = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (relevant && !*armed) {
		struct itimerspec its = {{0, 0}, {0, STORE_SETTLE_MS * 1000000L}};
		if (timerfd_settime(settle_timer, 0, &its, NULL) == 0)
			*armed = 1;
		else
			agent_log(a, "timer: %s", strerror(errno));
	}
}

static int serve(agent *a, int sigfd, int fp_timer, int periodic_timer, int ino, int settle_timer)
{
	int settle_armed = 0;
	for (;;) {
		size_t n = 5 + a->owner_count;
		struct pollfd *fds = calloc(n, sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		fds[0] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = fp_timer, .events = POLLIN};
		fds[2] = (struct pollfd){.fd = periodic_timer, .events = POLLIN};
		fds[3] = (struct pollfd){.fd = ino, .events = POLLIN};
		fds[4] = (struct pollfd){.fd = settle_timer, .events = POLLIN};
		for (size_t i = 0; i < a->owner_count; i++)
			fds[5 + i] = (struct pollfd){.fd = a->owners[i].pidfd, .events = POLLIN};
		if (poll(fds, n, -1) < 0) {
			free(fds);
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				agent_log(a, "%s received: leaving every task running and exiting",
				          drover_signal_name((int)si.ssi_signo));
			free(fds);
			return 0;
		}
		uint64_t expirations;
		int rescan = 0;
		if (fds[1].revents & POLLIN) {
			if (read(fp_timer, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				agent_log(a, "timer: %s", strerror(errno));
			fingerprint_all(a);
			quarantine_all(a);
			drover_strv_clear(&a->refused); /* a driver may have come back */
			rescan = 1;
		}
		if (fds[3].revents & POLLIN)
			store_changed(a, ino, settle_timer, &settle_armed);
		if (fds[4].revents & POLLIN) {
			if (read(settle_timer, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				agent_log(a, "timer: %s", strerror(errno));
			settle_armed = 0;
			rescan = 1;
		}
		if (fds[2].revents & POLLIN) {
			if (read(periodic_timer, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				agent_log(a, "timer: %s", strerror(errno));
			periodic_all(a);
		}
		size_t kept = 0;
		for (size_t i = 0; i < a->owner_count; i++) {
			if (fds[5 + i].revents) {
				agent_log(a, "pid %d is gone: adopting its allocations", a->owners[i].pid);
				close(a->owners[i].pidfd);
				rescan = 1;
			} else {
				a->owners[kept++] = a->owners[i];
			}
		}
		a->owner_count = kept;
		free(fds);
		if (rescan)
			adopt(a);
	}
}

int drover_agent_run(drover_context *ctx, const drover_agent_settings *settings, FILE *log)
{
	agent a = {.ctx = ctx, .settings = settings, .log = log, .detach_fd = -1,
	           .lock = PTHREAD_MUTEX_INITIALIZER};
	drover_err err = {{0}};
	int lock_fd = -1, sigfd = -1, fp_timer = -1, periodic_timer = -1, ino = -1, settle_timer = -1;
	int rc;
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	/* Before any thread exists, so that every thread inherits the mask and
	 * only the signalfd sees them. */
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	a.self_pid = (int)getpid();
	a.self_start = drover_proc_start_time(a.self_pid);
	/* A driver that crashes this process gets its task recorded failed and
	 * the agent started again in the same process (host/crash.h). */
	drover_crash_restart_after(1);
	if ((rc = drover_agent_lock(ctx->data_dir, &lock_fd, &err)) < 0) {
		fprintf(stderr, "drover agent: %s\n", err.message);
		goto out;
	}
	if ((rc = drover_state_open_checked("drover agent", ctx->data_dir, &a.st)) < 0)
		goto out;
	if ((rc = drover_runner_store_attach(a.st, "", -1, &err)) < 0) {
		fprintf(stderr, "drover agent: %s\n", err.message);
		goto out;
	}
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	a.detach_fd = eventfd(0, EFD_CLOEXEC);
	fp_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	periodic_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	settle_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino >= 0 && inotify_add_watch(ino, ctx->data_dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		close(ino);
		ino = -1;
	}
	a.health = malloc((ctx->plugins.count ? ctx->plugins.count : 1) * sizeof(*a.health));
	if (sigfd < 0 || a.detach_fd < 0 || fp_timer < 0 || periodic_timer < 0 || settle_timer < 0 ||
	    ino < 0 || !a.health ||
	    arm_timer(fp_timer, settings->fingerprint_interval_ms) < 0 ||
	    arm_timer(periodic_timer, settings->periodic_interval_ms) < 0) {
		rc = a.health ? -errno : -ENOMEM;
		fprintf(stderr, "drover agent: cannot set up: %s\n", strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < ctx->plugins.count; i++)
		a.health[i] = (drover_health)-1;
	agent_log(&a, "pid %d, data dir \"%s\", plugin dir \"%s\", %zu driver%s, fingerprint every "
	          "%lld ms",
	          a.self_pid, ctx->data_dir, ctx->plugin_dir, ctx->plugins.count,
	          ctx->plugins.count == 1 ? "" : "s", settings->fingerprint_interval_ms);
	fingerprint_all(&a);
	quarantine_all(&a);
	/* A crash between a namespace's CNI ADD and its record leaves nothing
	 * once the agent is up (host/network/alloc_network.h). */
	drover_alloc_network_cleanup(ctx, a.st);
	adopt(&a);
	rc = serve(&a, sigfd, fp_timer, periodic_timer, ino, settle_timer);
	release_all(&a);
	agent_log(&a, "stopped; tasks left running");
out:
	for (size_t i = 0; i < a.owner_count; i++)
		close(a.owners[i].pidfd);
	free(a.owners);
	free(a.batches);
	drover_strv_clear(&a.refused);
	free(a.health);
	drover_runner_store_detach();
	drover_state_close(a.st);
	if (a.detach_fd >= 0)
		close(a.detach_fd);
	if (sigfd >= 0)
		close(sigfd);
	if (fp_timer >= 0)
		close(fp_timer);
	if (periodic_timer >= 0)
		close(periodic_timer);
	if (settle_timer >= 0)
		close(settle_timer);
	if (ino >= 0)
		close(ino);
	if (lock_fd >= 0)
		close(lock_fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

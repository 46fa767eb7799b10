/* drover-nomad-driver: serves one drover driver to a Nomad client as an
 * external task-driver plugin (hashicorp/go-plugin over gRPC). Nomad starts
 * it from its plugin_dir; see doc/nomad.md.
 *
 *   drover-nomad-driver [PLUGIN]
 *
 * PLUGIN is the driver's .so (a path), or a driver name looked up as
 * <plugindir>/<name>.so. Without it the name is the one the program was
 * started as, so that a symlink "raw_exec" -> drover-nomad-driver in Nomad's
 * plugin_dir serves drover's raw_exec. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bridge.h"
#include "handshake.h"

#ifndef DROVER_PLUGINDIR
#error "DROVER_PLUGINDIR must be defined by the build"
#endif

static const char *program = "drover-nomad-driver";

static struct {
	char socket_path[4096];
	int app_protocol;
	int sigfd;
	int parent_fd; /* pidfd of the Nomad client, -1 when unavailable */
} run = {.sigfd = -1, .parent_fd = -1};

static int plugin_path(int argc, char **argv, char *out, size_t size)
{
	const char *arg = argc > 1 ? argv[1] : NULL;
	if (!arg) {
		const char *self = strrchr(argv[0], '/');
		self = self ? self + 1 : argv[0];
		if (strcmp(self, "drover-nomad-driver") == 0 || strncmp(self, "lt-", 3) == 0)
			return -EINVAL;
		arg = self;
	}
	int n = strchr(arg, '/') ? snprintf(out, size, "%s", arg)
	                         : snprintf(out, size, "%s/%s.so", DROVER_PLUGINDIR, arg);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void ready(void *data)
{
	(void)data;
	char line[4200];
	if (nomad_handshake_line(line, sizeof(line), run.app_protocol, run.socket_path) < 0) {
		nomad_server_shutdown();
		return;
	}
	/* stdout is a pipe to go-plugin: fully buffered unless flushed. */
	fputs(line, stdout);
	fflush(stdout);
}

/* Ends the server on SIGTERM/SIGINT/SIGHUP and when the Nomad client that
 * started us dies (its pidfd becomes readable): a plugin nobody can reach
 * must not stay behind. */
static void *watch(void *arg)
{
	(void)arg;
	struct pollfd fds[2] = {{.fd = run.sigfd, .events = POLLIN},
	                        {.fd = run.parent_fd, .events = POLLIN}};
	for (;;) {
		int n = poll(fds, run.parent_fd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	nomad_server_shutdown();
	return NULL;
}

int main(int argc, char **argv)
{
	if (nomad_handshake_check_cookie(getenv(NOMAD_MAGIC_COOKIE_KEY)) < 0) {
		fputs(GOPLUGIN_NOT_A_PROGRAM, stderr);
		return 1;
	}
	drover_err err = {{0}};
	run.app_protocol = nomad_handshake_protocol(getenv("PLUGIN_PROTOCOL_VERSIONS"), &err);
	if (run.app_protocol < 0) {
		fprintf(stderr, "%s: %s\n", program, err.message);
		return 1;
	}
	char path[4096];
	if (plugin_path(argc, argv, path, sizeof(path)) < 0) {
		fprintf(stderr, "%s: which driver? Give the driver's .so (or its name in %s) as the "
		        "argument, or start the program under the driver's name (a symlink)\n",
		        program, DROVER_PLUGINDIR);
		return 1;
	}

	/* Parent death: the pidfd catches it even when the thread that forked
	 * us outlives the process (PR_SET_PDEATHSIG follows the thread). */
	pid_t parent = getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	run.parent_fd = (int)syscall(SYS_pidfd_open, parent, 0);
	if (getppid() != parent)
		return 1;

	/* Signals go to the watcher thread only: blocked before any thread
	 * (gRPC's included) exists. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	run.sigfd = signalfd(-1, &set, SFD_CLOEXEC);

	static nomad_bridge bridge;
	if (nomad_bridge_open(&bridge, path, &err) < 0) {
		fprintf(stderr, "%s: %s\n", program, err.message);
		return 1;
	}
	if (nomad_handshake_socket_path(run.socket_path, sizeof(run.socket_path), &err) < 0) {
		fprintf(stderr, "%s: %s\n", program, err.message);
		return 1;
	}
	pthread_t watcher;
	if (run.sigfd < 0 || pthread_create(&watcher, NULL, watch, NULL) != 0) {
		fprintf(stderr, "%s: cannot watch for signals: %s\n", program, strerror(errno));
		return 1;
	}
	pthread_detach(watcher);

	char serr[256] = "";
	int rc = nomad_server_run(run.socket_path, nomad_bridge_methods, &bridge, ready, serr);
	unlink(run.socket_path);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", program, serr);
		return 1;
	}
	/* Tasks keep running: Nomad recovers them through the next plugin
	 * process with the handles it keeps. Calls still in flight hold the
	 * driver, so leave without fini then. */
	fflush(stderr);
	_exit(0);
}

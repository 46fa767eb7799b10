/* ExecTaskStreaming (`nomad alloc exec`): the client's first message names
 * the task, the command and whether it wants a terminal; then stdin, terminal
 * sizes and a close arrive while stdout/stderr go back, and the last message
 * carries the exit code. The driver's exec runs in a thread of its own with
 * descriptors the bridge owns: pipes, or a pty whose master the bridge keeps,
 * so that a resize is an ioctl on it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "arena.h"
#include "bridge.h"

typedef struct exec_session {
	nomad_bridge *b;
	nomad_call *call;
	nomad_task *task;       /* locked for the whole session */
	int tty;
	int master;             /* tty: the pty master, read and written */
	int in_w, out_r, err_r; /* pipes: our ends */
	int child_fds[3];       /* what the driver's exec gets */
	const char **argv;
	int rc, code;
	drover_err err;
	pthread_t exec_thread, out_thread;
} exec_session;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void *run_exec(void *arg)
{
	exec_session *s = arg;
	const drover_plugin *p = s->b->plugin;
	/* With a tty the command's descriptors are the pty the bridge opened:
	 * the driver is not asked for a terminal of its own (raw_exec and exec
	 * refuse to make one; the pty is the terminal). */
	drover_exec_request req = {.struct_size = sizeof(req), .argv = s->argv,
	                           .stdin_fd = s->child_fds[0], .stdout_fd = s->child_fds[1],
	                           .stderr_fd = s->child_fds[2], .tty = 0};
	s->rc = p->desc->exec(p->ctx, nomad_task_driver_task(s->task), &req, &s->code, &s->err);
	/* Our copies of the command's ends: once they are closed, the output
	 * ends when the command's do. */
	for (int i = 0; i < 3; i++)
		if (i == 0 || s->child_fds[i] != s->child_fds[i - 1])
			close_fd(&s->child_fds[i]);
	return NULL;
}

static int send_output(exec_session *s, int is_err, const uint8_t *data, size_t len, int closed)
{
	DP(ExecTaskStreamingIOOperation) io = DP_INIT(EXEC_TASK_STREAMING_IOOPERATION);
	io.data.data = (uint8_t *)data;
	io.data.len = len;
	io.close = closed != 0;
	DP(ExecTaskStreamingResponse) resp = DP_INIT(EXEC_TASK_STREAMING_RESPONSE);
	if (is_err)
		resp.stderr = &io;
	else
		resp.stdout = &io;
	return nomad_call_send(s->call, &resp.base);
}

/* Copies the command's output to the client until it ends, waits for exec,
 * sends the exit and ends the call. */
static void *pump_output(void *arg)
{
	exec_session *s = arg;
	struct pollfd fds[2] = {{.fd = s->tty ? s->master : s->out_r, .events = POLLIN},
	                        {.fd = s->tty ? -1 : s->err_r, .events = POLLIN}};
	int open_fds = s->tty ? 1 : 2;
	uint8_t buf[32768];
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n > 0) {
				send_output(s, i == 1, buf, (size_t)n, 0);
				continue;
			}
			/* EOF, or EIO on a pty master once the command's side closed */
			send_output(s, i == 1, NULL, 0, 1);
			fds[i].fd = -1;
			open_fds--;
		}
	}
	pthread_join(s->exec_thread, NULL);
	if (s->rc < 0) {
		nomad_call_finish(s->call, GRPC_STATUS_INTERNAL,
		                  s->err.message[0] ? s->err.message : strerror(-s->rc));
		return NULL;
	}
	DP(ExitResult) res = DP_INIT(EXIT_RESULT);
	res.exit_code = s->code;
	DP(ExecTaskStreamingResponse) done = DP_INIT(EXEC_TASK_STREAMING_RESPONSE);
	done.exited = 1;
	done.result = &res;
	nomad_call_reply(s->call, &done.base);
	return NULL;
}

static void resize(exec_session *s, const DP(ExecTaskStreamingRequest__TerminalSize) *size)
{
	if (!s->tty || !size || size->height <= 0 || size->width <= 0)
		return;
	struct winsize ws = {.ws_row = (unsigned short)size->height,
	                     .ws_col = (unsigned short)size->width};
	ioctl(s->master, TIOCSWINSZ, &ws);
}

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (fd >= 0 && len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* stdin and terminal sizes until the client closes its side or goes away. */
static void pump_input(exec_session *s)
{
	for (;;) {
		uint8_t *buf = NULL;
		size_t len = 0;
		if (nomad_call_recv(s->call, &buf, &len) <= 0)
			break;
		DP(ExecTaskStreamingRequest) *m = (DP(ExecTaskStreamingRequest) *)protobuf_c_message_unpack(
			&DP_DESC(exec_task_streaming_request), NULL, len, buf);
		free(buf);
		if (!m)
			break;
		resize(s, m->tty_size);
		if (m->stdin) {
			write_all(s->tty ? s->master : s->in_w, m->stdin->data.data, m->stdin->data.len);
			if (m->stdin->close) {
				if (s->tty)
					write_all(s->master, (const uint8_t *)"\004", 1); /* EOF at a terminal */
				else
					close_fd(&s->in_w);
			}
		}
		protobuf_c_message_free_unpacked(&m->base, NULL);
	}
}

static int open_fds(exec_session *s, drover_err *err)
{
	if (s->tty) {
		int slave = -1;
		if (openpty(&s->master, &slave, NULL, NULL, NULL) < 0)
			return drover_err_set(err, -errno, "cannot open a pty: %s", strerror(errno));
		fcntl(s->master, F_SETFD, FD_CLOEXEC);
		s->child_fds[0] = s->child_fds[1] = s->child_fds[2] = slave;
		return 0;
	}
	int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		int e = errno;
		close_fd(&in[0]), close_fd(&in[1]), close_fd(&out[0]), close_fd(&out[1]);
		return drover_err_set(err, -e, "cannot create pipes: %s", strerror(e));
	}
	s->child_fds[0] = in[0], s->in_w = in[1];
	s->out_r = out[0], s->child_fds[1] = out[1];
	s->err_r = er[0], s->child_fds[2] = er[1];
	return 0;
}

void nomad_rpc_exec_task_streaming(nomad_call *call, void *data)
{
	nomad_bridge *b = data;
	DP(ExecTaskStreamingRequest) *first = (DP(ExecTaskStreamingRequest) *)nomad_call_request(
		call, &DP_DESC(exec_task_streaming_request));
	if (!first)
		return;
	_cleanup_arena_ nomad_arena arena = {0};
	const DP(ExecTaskStreamingRequest__Setup) *setup = first->setup;
	if (!setup || setup->n_command == 0 || !DROVER_PLUGIN_HAS(b->plugin, exec)) {
		int unsupported = setup && setup->n_command && !DROVER_PLUGIN_HAS(b->plugin, exec);
		protobuf_c_message_free_unpacked(&first->base, NULL);
		return nomad_call_finish(call, unsupported ? GRPC_STATUS_UNIMPLEMENTED
		                                           : GRPC_STATUS_INVALID_ARGUMENT,
		                         unsupported ? "this driver cannot run commands in its tasks"
		                                     : "ExecTaskStreaming: the first message must "
		                                       "carry setup with a command");
	}
	exec_session s = {.b = b, .call = call, .tty = setup->tty, .master = -1, .in_w = -1,
	                  .out_r = -1, .err_r = -1, .child_fds = {-1, -1, -1}};
	s.argv = NOMAD_NEWN(&arena, const char *, setup->n_command + 1);
	for (size_t i = 0; s.argv && i < setup->n_command; i++)
		s.argv[i] = nomad_arena_strdup(&arena, setup->command[i]);
	char *id = nomad_arena_strdup(&arena, setup->task_id);
	drover_err err = {{0}};
	int rc = arena.failed ? drover_err_set(&err, -ENOMEM, "out of memory") : open_fds(&s, &err);
	if (rc == 0)
		resize(&s, first->tty_size);
	if (rc == 0 && first->stdin)
		write_all(s.tty ? s.master : s.in_w, first->stdin->data.data, first->stdin->data.len);
	protobuf_c_message_free_unpacked(&first->base, NULL);
	if (rc < 0)
		return nomad_call_finish(call, GRPC_STATUS_INTERNAL, err.message);
	/* The SDK allows one call at a time on a task: the session holds the task
	 * for as long as the command runs. */
	s.task = nomad_task_lock(b, call, id);
	if (!s.task) {
		for (int i = 0; i < 3; i++)
			if (i == 0 || s.child_fds[i] != s.child_fds[i - 1])
				close_fd(&s.child_fds[i]);
		close_fd(&s.master), close_fd(&s.in_w), close_fd(&s.out_r), close_fd(&s.err_r);
		return;
	}
	if (pthread_create(&s.exec_thread, NULL, run_exec, &s) != 0) {
		nomad_task_unlock(b, s.task);
		return nomad_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "cannot start a thread");
	}
	if (pthread_create(&s.out_thread, NULL, pump_output, &s) != 0) {
		/* nothing reads the output: close our ends so the command sees it */
		close_fd(&s.out_r), close_fd(&s.err_r), close_fd(&s.master), close_fd(&s.in_w);
		pthread_join(s.exec_thread, NULL);
		nomad_task_unlock(b, s.task);
		return nomad_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "cannot start a thread");
	}
	pump_input(&s);
	/* The client is done sending (or gone): the command sees end of input. */
	if (!s.tty)
		close_fd(&s.in_w);
	pthread_join(s.out_thread, NULL);
	nomad_task_unlock(b, s.task);
	close_fd(&s.master), close_fd(&s.in_w), close_fd(&s.out_r), close_fd(&s.err_r);
}

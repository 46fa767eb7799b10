#include "config.h"

#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

struct nomad_call {
	grpc_call *call;
	grpc_completion_queue *cq; /* a pluck queue of this call alone */
	grpc_call_details details;
	grpc_metadata_array metadata;
	const nomad_method *methods;
	void *data;
	pthread_mutex_t send_lock; /* sends and the status may come from several threads */
	int metadata_sent;
	int finished;
	int closed;       /* RECV_CLOSE_ON_SERVER completed */
	int cancelled;    /* what it reported */
	int close_tag, recv_tag, send_tag, finish_tag;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	grpc_server *server;
	grpc_completion_queue *cq;
	unsigned threads;
	atomic_int stopping;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

static int shutdown_tag;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static gpr_timespec deadline_ms(long ms)
{
	if (ms < 0)
		return gpr_inf_future(GPR_CLOCK_REALTIME);
	return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Runs one batch and waits for it on the call's queue. */
static int batch(nomad_call *c, const grpc_op *ops, size_t n, void *tag)
{
	if (grpc_call_start_batch(c->call, ops, n, tag, NULL) != GRPC_CALL_OK)
		return -EPROTO;
	grpc_event ev = grpc_completion_queue_pluck(c->cq, tag, deadline_ms(-1), NULL);
	return ev.type == GRPC_OP_COMPLETE && ev.success ? 0 : -ECANCELED;
}

int nomad_call_recv(nomad_call *c, uint8_t **buf, size_t *len)
{
	grpc_byte_buffer *bb = NULL;
	grpc_op op = {.op = GRPC_OP_RECV_MESSAGE};
	op.data.recv_message.recv_message = &bb;
	int rc = batch(c, &op, 1, &c->recv_tag);
	if (rc < 0)
		return rc;
	if (!bb)
		return 0;
	grpc_byte_buffer_reader reader;
	if (!grpc_byte_buffer_reader_init(&reader, bb)) {
		grpc_byte_buffer_destroy(bb);
		return -EPROTO;
	}
	grpc_slice s = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	grpc_byte_buffer_destroy(bb);
	*len = GRPC_SLICE_LENGTH(s);
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		grpc_slice_unref(s);
		return -ENOMEM;
	}
	memcpy(*buf, GRPC_SLICE_START_PTR(s), *len);
	grpc_slice_unref(s);
	return 1;
}

ProtobufCMessage *nomad_call_request(nomad_call *c, const ProtobufCMessageDescriptor *desc)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = nomad_call_recv(c, &buf, &len);
	if (rc <= 0) {
		nomad_call_finish(c, rc == 0 ? GRPC_STATUS_INVALID_ARGUMENT : GRPC_STATUS_CANCELLED,
		                  "no request message");
		return NULL;
	}
	ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, len, buf);
	free(buf);
	if (!msg) {
		char why[200];
		snprintf(why, sizeof(why), "cannot decode the %s request", desc->name);
		nomad_call_finish(c, GRPC_STATUS_INVALID_ARGUMENT, why);
	}
	return msg;
}

static void add_metadata(nomad_call *c, grpc_op *ops, size_t *n)
{
	if (c->metadata_sent)
		return;
	ops[*n] = (grpc_op){.op = GRPC_OP_SEND_INITIAL_METADATA};
	(*n)++;
	c->metadata_sent = 1;
}

int nomad_call_send(nomad_call *c, const ProtobufCMessage *msg)
{
	pthread_mutex_lock(&c->send_lock);
	if (c->finished) {
		pthread_mutex_unlock(&c->send_lock);
		return -ECANCELED;
	}
	size_t len = protobuf_c_message_get_packed_size(msg);
	grpc_slice s = grpc_slice_malloc(len);
	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	grpc_op ops[2];
	size_t n = 0;
	add_metadata(c, ops, &n);
	ops[n] = (grpc_op){.op = GRPC_OP_SEND_MESSAGE};
	ops[n].data.send_message.send_message = bb;
	n++;
	int rc = batch(c, ops, n, &c->send_tag);
	grpc_byte_buffer_destroy(bb);
	pthread_mutex_unlock(&c->send_lock);
	return rc;
}

void nomad_call_finish(nomad_call *c, grpc_status_code code, const char *details)
{
	pthread_mutex_lock(&c->send_lock);
	if (c->finished) {
		pthread_mutex_unlock(&c->send_lock);
		return;
	}
	c->finished = 1;
	grpc_slice msg = grpc_slice_from_copied_string(details ? details : "");
	grpc_op ops[2];
	size_t n = 0;
	add_metadata(c, ops, &n);
	ops[n] = (grpc_op){.op = GRPC_OP_SEND_STATUS_FROM_SERVER};
	ops[n].data.send_status_from_server.status = code;
	ops[n].data.send_status_from_server.status_details = &msg;
	n++;
	(void)batch(c, ops, n, &c->finish_tag);
	grpc_slice_unref(msg);
	pthread_mutex_unlock(&c->send_lock);
}

void nomad_call_reply(nomad_call *c, const ProtobufCMessage *msg)
{
	if (nomad_call_send(c, msg) == 0)
		nomad_call_finish(c, GRPC_STATUS_OK, NULL);
	else
		nomad_call_finish(c, GRPC_STATUS_CANCELLED, "the client went away");
}

int nomad_call_gone(nomad_call *c, long wait_ms)
{
	if (!c->closed) {
		grpc_event ev = grpc_completion_queue_pluck(c->cq, &c->close_tag, deadline_ms(wait_ms), NULL);
		if (ev.type == GRPC_OP_COMPLETE)
			c->closed = 1;
	}
	return (c->closed && !c->finished) || atomic_load(&srv.stopping);
}

static char *method_name(const grpc_call_details *d)
{
	size_t len = GRPC_SLICE_LENGTH(d->method);
	char *s = malloc(len + 1);
	if (s) {
		memcpy(s, GRPC_SLICE_START_PTR(d->method), len);
		s[len] = '\0';
	}
	return s;
}

static void call_free(nomad_call *c)
{
	if (c->call) {
		if (!c->closed)
			grpc_completion_queue_pluck(c->cq, &c->close_tag, deadline_ms(-1), NULL);
		grpc_call_unref(c->call);
	}
	grpc_completion_queue_shutdown(c->cq);
	while (grpc_completion_queue_pluck(c->cq, NULL, deadline_ms(-1), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(c->cq);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->metadata);
	pthread_mutex_destroy(&c->send_lock);
	free(c);
}

static void *call_thread(void *arg)
{
	nomad_call *c = arg;
	grpc_op close_op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER};
	close_op.data.recv_close_on_server.cancelled = &c->cancelled;
	if (grpc_call_start_batch(c->call, &close_op, 1, &c->close_tag, NULL) != GRPC_CALL_OK)
		c->closed = 1;

	char *name = method_name(&c->details);
	const nomad_method *m = NULL;
	for (const nomad_method *it = c->methods; name && it->path; it++)
		if (strcmp(it->path, name) == 0)
			m = it;
	if (m) {
		m->fn(c, c->data);
		if (!c->finished)
			nomad_call_finish(c, GRPC_STATUS_INTERNAL, "the handler ended without a status");
	} else {
		char why[300];
		snprintf(why, sizeof(why), "unknown method %s", name ? name : "?");
		nomad_call_finish(c, GRPC_STATUS_UNIMPLEMENTED, why);
	}
	free(name);
	call_free(c);

	pthread_mutex_lock(&srv.lock);
	if (--srv.threads == 0)
		pthread_cond_broadcast(&srv.idle);
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

static nomad_call *request_next(const nomad_method *methods, void *data)
{
	nomad_call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->methods = methods;
	c->data = data;
	pthread_mutex_init(&c->send_lock, NULL);
	c->cq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->metadata);
	if (grpc_server_request_call(srv.server, &c->call, &c->details, &c->metadata, c->cq, srv.cq,
	                             c) != GRPC_CALL_OK) {
		c->call = NULL;
		call_free(c);
		return NULL;
	}
	return c;
}

void nomad_server_shutdown(void)
{
	pthread_mutex_lock(&srv.lock);
	if (srv.server && !atomic_exchange(&srv.stopping, 1)) {
		grpc_server_shutdown_and_notify(srv.server, srv.cq, &shutdown_tag);
		grpc_server_cancel_all_calls(srv.server);
	}
	pthread_mutex_unlock(&srv.lock);
}

int nomad_server_run(const char *path, const nomad_method *methods, void *data,
                     void (*ready)(void *data), char *err)
{
	grpc_init();
	srv.server = grpc_server_create(NULL, NULL);
	srv.cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(srv.server, srv.cq, NULL);
	char addr[4200];
	snprintf(addr, sizeof(addr), "unix:%s", path);
	grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
	int port = grpc_server_add_http2_port(srv.server, addr, creds);
	grpc_server_credentials_release(creds);
	if (port == 0) {
		snprintf(err, 256, "cannot listen on unix socket \"%s\"", path);
		grpc_server_destroy(srv.server);
		srv.server = NULL;
		grpc_completion_queue_destroy(srv.cq);
		grpc_shutdown();
		return -EADDRNOTAVAIL;
	}
	grpc_server_start(srv.server);
	nomad_call *pending = request_next(methods, data);
	ready(data);

	long long stop_deadline = -1;
	for (;;) {
		/* The shutdown tag arrives only once every call is released: a
		 * handler stuck in the driver (an exec whose command ignores end of
		 * input) would hold the process forever, and a plugin whose Nomad
		 * client died must go. Once stopping, wait at most a second. */
		grpc_event ev = grpc_completion_queue_next(srv.cq, deadline_ms(200), NULL);
		if (atomic_load(&srv.stopping) && stop_deadline < 0)
			stop_deadline = now_ms() + 1000;
		if (ev.type == GRPC_QUEUE_TIMEOUT) {
			if (stop_deadline >= 0 && now_ms() > stop_deadline)
				break;
			continue;
		}
		if (ev.type != GRPC_OP_COMPLETE)
			break;
		if (ev.tag == &shutdown_tag)
			break;
		nomad_call *c = ev.tag;
		if (c != pending)
			continue;
		pending = NULL;
		if (!ev.success || atomic_load(&srv.stopping)) {
			if (!ev.success)
				c->call = NULL;
			call_free(c);
			continue;
		}
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&srv.lock);
		srv.threads++;
		pthread_mutex_unlock(&srv.lock);
		if (pthread_create(&t, &attr, call_thread, c) != 0) {
			nomad_call_finish(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "cannot start a thread");
			call_free(c);
			pthread_mutex_lock(&srv.lock);
			srv.threads--;
			pthread_mutex_unlock(&srv.lock);
		}
		pthread_attr_destroy(&attr);
		pending = request_next(methods, data);
	}

	/* Calls still running (a WaitTask, a stream) were cancelled: give their
	 * threads a moment to notice, then leave without them. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&srv.lock);
	while (srv.threads > 0)
		if (pthread_cond_timedwait(&srv.idle, &srv.lock, &until) != 0)
			break;
	unsigned left = srv.threads;
	pthread_mutex_unlock(&srv.lock);
	if (left == 0) {
		/* The pending request (if any) completes with failure in the drain;
		 * the process is about to exit, so a queue that does not drain in
		 * time is left as it is. */
		grpc_server_destroy(srv.server);
		grpc_completion_queue_shutdown(srv.cq);
		grpc_event ev;
		do
			ev = grpc_completion_queue_next(srv.cq, deadline_ms(1000), NULL);
		while (ev.type == GRPC_OP_COMPLETE);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			grpc_completion_queue_destroy(srv.cq);
	}
	return 0;
}

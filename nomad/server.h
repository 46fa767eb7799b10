/* A small gRPC server on gRPC's C core: one thread waits for calls, each call
 * is served by a thread of its own that blocks on the call's own completion
 * queue. Handlers are plain blocking code; streams push from their thread. */
#ifndef DROVER_NOMAD_SERVER_H
#define DROVER_NOMAD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/status.h>
#include <protobuf-c/protobuf-c.h>

typedef struct nomad_call nomad_call;

typedef void (*nomad_handler)(nomad_call *call, void *data);

typedef struct nomad_method {
	const char *path; /* "/package.Service/Method" */
	nomad_handler fn;
} nomad_method;

/* Receives the next message of the call: 1 and *buf (free() it) when one came,
 * 0 when the client closed its side, -ECANCELED when the call is gone. */
int nomad_call_recv(nomad_call *call, uint8_t **buf, size_t *len);

/* Receives the one request of a unary call and unpacks it with `desc`. On
 * failure the call is finished with INVALID_ARGUMENT and NULL returned. Free
 * the result with protobuf_c_message_free_unpacked. */
ProtobufCMessage *nomad_call_request(nomad_call *call, const ProtobufCMessageDescriptor *desc);

/* Packs and sends one message: 0 or -ECANCELED. */
int nomad_call_send(nomad_call *call, const ProtobufCMessage *msg);

/* Ends the call with a status; once per call. A call its handler left
 * unfinished is finished with INTERNAL. */
void nomad_call_finish(nomad_call *call, grpc_status_code code, const char *details);

/* Sends `msg` and finishes with OK. */
void nomad_call_reply(nomad_call *call, const ProtobufCMessage *msg);

/* 1 when the client has gone away (cancelled, disconnected) or the server is
 * shutting down, waiting up to `wait_ms` for that to happen; 0 otherwise. */
int nomad_call_gone(nomad_call *call, long wait_ms);

/* Listens on the unix socket `path`, calls `ready` once it is listening, then
 * serves until nomad_server_shutdown. Unknown methods are answered with
 * UNIMPLEMENTED. Returns 0, or a negative errno with `err` (size 256) filled. */
int nomad_server_run(const char *path, const nomad_method *methods, void *data,
                     void (*ready)(void *data), char *err);

/* Stops the server: pending and future calls are cancelled and
 * nomad_server_run returns once the call threads are done. Callable from any
 * thread, any number of times. */
void nomad_server_shutdown(void);

#endif

/* The plugin side of hashicorp/go-plugin's handshake, as Nomad's client
 * drives it: a magic cookie in the environment, the app protocol versions the
 * client speaks, a unix socket, and one line on stdout naming it. */
#ifndef DROVER_NOMAD_HANDSHAKE_H
#define DROVER_NOMAD_HANDSHAKE_H

#include <stddef.h>

#include <drover/driver.h>

/* Nomad's handshake config (plugins/base/plugin.go): driver plugins. */
#define NOMAD_MAGIC_COOKIE_KEY "NOMAD_PLUGIN_MAGIC_COOKIE"
#define NOMAD_MAGIC_COOKIE_VALUE "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255"
#define NOMAD_APP_PROTOCOL 2
#define GOPLUGIN_CORE_PROTOCOL 1

/* What go-plugin's server prints when started by hand, word for word, so that
 * an operator sees the message every go-plugin plugin gives. */
#define GOPLUGIN_NOT_A_PROGRAM                                                                 \
	"This binary is a plugin. These are not meant to be executed directly.\n"                  \
	"Please execute the program that consumes these plugins, which will\n"                     \
	"load any plugins automatically\n"

/* 0 when `cookie` (the environment's value, or NULL) is Nomad's. */
int nomad_handshake_check_cookie(const char *cookie);

/* The app protocol to speak given PLUGIN_PROTOCOL_VERSIONS (a comma-separated
 * list, or NULL when the client did not send one): NOMAD_APP_PROTOCOL when
 * offered or when there is no list, else -EPROTONOSUPPORT with `err` naming
 * the versions offered and the one this plugin speaks. */
int nomad_handshake_protocol(const char *offered, drover_err *err);

/* A new socket path in PLUGIN_UNIX_SOCKET_DIR, else TMPDIR, else /tmp (as
 * go-plugin chooses it): "<dir>/plugin<random>", not existing. 0 or a negative
 * errno with `err`. */
int nomad_handshake_socket_path(char *out, size_t size, drover_err *err);

/* The line go-plugin's client reads: "1|2|unix|<path>|grpc|\n". */
int nomad_handshake_line(char *out, size_t size, int app_protocol, const char *socket_path);

#endif

/* JSON for the Docker Engine API: reading daemon answers (yajl's tree) and
 * writing request bodies (yajl's generator), with the few helpers every
 * module of the docker driver needs. */
#ifndef DROVER_DOCKER_JSON_H
#define DROVER_DOCKER_JSON_H

#include <stddef.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include <drover/driver.h>

/* Nesting deeper than this is refused before yajl sees it (as the host's job parser). */
#define DOCKER_JSON_MAX_DEPTH 64

/* Parses `len` bytes (need not be NUL-terminated). `what` names the answer in
 * the message ("the answer to GET /version"). Free with yajl_tree_free.
 * Documents nested deeper than DOCKER_JSON_MAX_DEPTH are refused (-EPROTO). */
int docker_json_parse(const char *text, size_t len, const char *what, yajl_val *out,
                      drover_err *err);

/* The member at a NULL-ended path of object keys, or NULL. */
yajl_val docker_json_at(yajl_val v, ...) __attribute__((sentinel));
/* The string at a path, or NULL when absent or not a string. */
const char *docker_json_str(yajl_val v, ...) __attribute__((sentinel));
/* The integer at a path into *out: 0, or -ENOENT when absent or not an integer. */
int docker_json_int(long long *out, yajl_val v, ...) __attribute__((sentinel));
/* The boolean at a path: 1 true, 0 false or absent. */
int docker_json_bool(yajl_val v, ...) __attribute__((sentinel));

/* Generator helpers: each returns the yajl status so a caller can or them. */
int docker_gen_str(yajl_gen g, const char *s);
int docker_gen_key_str(yajl_gen g, const char *key, const char *value);
int docker_gen_key_int(yajl_gen g, const char *key, long long value);
int docker_gen_key_bool(yajl_gen g, const char *key, int value);
int docker_gen_key(yajl_gen g, const char *key);

/* The generator's buffer as a malloc'd NUL-terminated copy (NULL on ENOMEM). */
char *docker_gen_take(yajl_gen g, size_t *len);

/* Escapes `s` for a URL query or path component into a malloc'd string. */
char *docker_url_escape(const char *s);

#endif

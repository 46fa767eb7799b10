/* JSON text to drover_value trees and back (yajl underneath). */
#ifndef DROVER_HOST_JSON_H
#define DROVER_HOST_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <drover/driver.h>

/* Parses `len` bytes of JSON into `*out` (free with drover_value_clear).
 * On malformed input returns -EINVAL and fills err with
 * "<source>:<line>:<column>: <what is wrong>"; `source` names the file for the
 * message. Integers that fit in long long become DROVER_VALUE_INT, other numbers
 * DROVER_VALUE_FLOAT. Duplicate keys in one object are an error naming the key.
 * Nesting deeper than 64 levels, documents over 64 MiB and documents of more
 * than 2,000,000 values are refused; so are text yajl would take although
 * RFC 8259 does not (\f and \v as whitespace, overlong or surrogate UTF-8,
 * code points above U+10FFFF, unpaired surrogate escapes), with line:column. */
int drover_json_parse(const char *source, const char *text, size_t len, drover_value *out,
                      drover_err *err);

/* Reads and parses a whole file (refuses files over 64 MiB). */
int drover_json_parse_file(const char *path, drover_value *out, drover_err *err);

/* Writes `v` as JSON to `f`; pretty-printed with two-space indent when `pretty`. */
int drover_json_write(FILE *f, const drover_value *v, int pretty);

/* `v` as compact JSON text, malloc()ed (its length in *len when len is not
 * NULL); NULL when out of memory or when `v` holds what JSON cannot (NaN). */
char *drover_json_text(const drover_value *v, size_t *len);

/* Adds `v` to a yajl generator (a struct yajl_gen_t *, which yajl calls
 * yajl_gen); 0 or -EINVAL when yajl refuses it. */
struct yajl_gen_t;
int drover_json_gen_value(struct yajl_gen_t *g, const drover_value *v);

#endif

/* Validating configuration against a driver's schema table (drover/schema.h). */
#ifndef DROVER_HOST_SCHEMA_CHECK_H
#define DROVER_HOST_SCHEMA_CHECK_H

#include <drover/driver.h>

/* A list of error lines, each a complete sentence for the user. */
typedef struct drover_errlist {
	char **lines;
	size_t count;
} drover_errlist;

/* Appends a printf-formatted line. Never fails visibly: on ENOMEM the line is lost. */
void drover_errlist_add(drover_errlist *list, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void drover_errlist_clear(drover_errlist *list);

/* Checks `input` (an object, or NULL/DROVER_VALUE_NULL meaning "no block given")
 * against `fields` and builds `*out`: a copy of input with the defaults of absent
 * fields applied (free with drover_value_clear).
 *
 * Every problem is appended to `errors`, prefixed with `where` (for example
 * "job \"web\", group \"g\", task \"t\", driver \"raw_exec\" config") and naming the
 * field by its dotted path ("auth.username", "mounts[1].type"):
 *   unknown key, wrong type (saying which type was expected and which was given),
 *   missing required field, malformed default in the schema itself.
 * Returns 0 when there was no problem, -EINVAL otherwise (out is then left NULL). */
int drover_schema_check(const drover_field *fields, const drover_value *input, const char *where,
                        drover_value *out, drover_errlist *errors);

#endif

/* Validating configuration against a driver's schema table (drover/schema.h). */
#ifndef DROVER_HOST_SCHEMA_CHECK_H
#define DROVER_HOST_SCHEMA_CHECK_H

#include <stdio.h>

#include <drover/driver.h>

/* A list of error lines, each a complete sentence for the user. */
typedef struct drover_errlist {
	char **lines;
	size_t count;
	size_t cap; /* allocated entries of lines */
} drover_errlist;

/* drover_errlist_print shows at most this many lines, then "and N more". */
#define DROVER_ERRLIST_PRINT_MAX 100

/* Appends a printf-formatted line. Never fails visibly: on ENOMEM the line is lost. */
void drover_errlist_add(drover_errlist *list, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void drover_errlist_clear(drover_errlist *list);
/* One line per error, `prefix` in front of each, the first
 * DROVER_ERRLIST_PRINT_MAX only, then one "and N more errors" line. */
void drover_errlist_print(FILE *f, const drover_errlist *list, const char *prefix);

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

/* drover SDK: configuration schemas as data.
 *
 * A driver declares the fields of its plugin options and of its task `config`
 * block as static tables. The host validates every job file and agent config
 * against them before it calls the driver: an unknown key, a wrong type or a
 * missing required field is reported to the user with the job, group, task and
 * field named, and nothing starts. `drover plugins -json` prints the tables.
 *
 * A table is an array of drover_field ended by an entry whose `name` is NULL
 * (DROVER_FIELD_END). Part of ABI 1: the layout is frozen; new field types are
 * only appended.
 */
#ifndef DROVER_SCHEMA_H
#define DROVER_SCHEMA_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum drover_field_type {
	DROVER_FIELD_STRING = 1,
	DROVER_FIELD_BOOL = 2,
	DROVER_FIELD_INT = 3,         /* JSON integer */
	DROVER_FIELD_FLOAT = 4,       /* any JSON number */
	DROVER_FIELD_STRING_LIST = 5, /* array of strings */
	DROVER_FIELD_STRING_MAP = 6,  /* object whose values are strings */
	DROVER_FIELD_BLOCK = 7,       /* object validated against `fields` */
	DROVER_FIELD_BLOCK_LIST = 8,  /* array of objects, each validated against `fields`
	                                 (a single object is accepted as a list of one,
	                                 as Nomad's HCL-to-JSON output sometimes has it) */
	DROVER_FIELD_ANY = 9          /* any JSON value; the driver checks it itself */
} drover_field_type;

typedef struct drover_field drover_field;

struct drover_field {
	const char *name;              /* key as written in the job file; NULL ends the table */
	drover_field_type type;
	int required;                  /* non-zero: absence is an error */
	const char *default_json;      /* JSON text applied when absent; NULL: no default */
	const char *description;       /* one line, shown by `drover plugins -json` */
	const drover_field *fields;    /* BLOCK and BLOCK_LIST: the nested table, else NULL */
};

#define DROVER_FIELD_END { 0, (drover_field_type)0, 0, 0, 0, 0 }

#ifdef __cplusplus
}
#endif

#endif /* DROVER_SCHEMA_H */

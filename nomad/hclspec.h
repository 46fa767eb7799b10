/* A drover schema table (drover/schema.h) as Nomad's hclspec Spec, the shape
 * Nomad's client parses a task's `config` block (or the client config's
 * `plugin "<name>" { config {...} }`) with before it sends the value as cty
 * msgpack (cty_msgpack.h). */
#ifndef DROVER_NOMAD_HCLSPEC_H
#define DROVER_NOMAD_HCLSPEC_H

#include <drover/driver.h>

#include "arena.h"
#include "pb.h"

/* An Object spec with one entry per field (NULL fields: an empty object), or
 * NULL when out of memory. Attributes carry their cty type and `required`; a
 * field with a default is wrapped in Default{Attr, Literal} (drover's JSON
 * defaults are valid HCL expressions); blocks become Block / BlockList with
 * their nested table. */
HS(Spec) *nomad_hclspec_from_schema(const drover_field *fields, nomad_arena *arena);

/* The HCL type expression of a leaf field ("string", "list(string)", ...), or
 * NULL for the block types. */
const char *nomad_hclspec_type(drover_field_type type);

#endif

/* Decoding the values Nomad sends a plugin (SetConfig.msgpack_config,
 * TaskConfig.msgpack_driver_config): go-cty's msgpack encoding of the value
 * hcldec produced from the Spec the plugin declared (hclspec.h). */
#ifndef DROVER_NOMAD_CTY_MSGPACK_H
#define DROVER_NOMAD_CTY_MSGPACK_H

#include <stddef.h>
#include <stdint.h>

#include <drover/driver.h>

#include "arena.h"

/* Decodes `buf` against `fields` into `*out` (an object; allocated in `arena`).
 * An empty buffer is an empty object. Attributes that are null (hcldec gives
 * every attribute of the spec, null when the job did not set it) are left out,
 * so that drover_schema_check applies the schema's defaults as it does for
 * drover's own job files. Returns 0, or -EINVAL with `err` naming the field
 * ("config.args[1]: ..."): malformed msgpack, an unknown (not yet known) value,
 * a type the field does not take. */
int nomad_cty_decode(const uint8_t *buf, size_t len, const drover_field *fields,
                     nomad_arena *arena, drover_value *out, drover_err *err);

#endif

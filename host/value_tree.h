/* Building, copying and freeing drover_value trees inside the host.
 *
 * The SDK type drover_value is read-only for plugins; the host owns every tree it
 * hands out. Trees built here are plain heap allocations: every string, key
 * array and item array is its own malloc() block, freed by drover_value_clear.
 */
#ifndef DROVER_HOST_VALUE_TREE_H
#define DROVER_HOST_VALUE_TREE_H

#include <drover/value.h>

/* Frees everything `v` owns and leaves it DROVER_VALUE_NULL (v itself is not freed). */
void drover_value_clear(drover_value *v);

/* Deep copy of `src` into `*dst`. 0 or -ENOMEM (dst untouched on failure). */
int drover_value_copy(drover_value *dst, const drover_value *src);

/* The name of a value type as a user reads it: "string", "boolean", "array"... */
const char *drover_value_type_name(drover_value_type type);

#endif

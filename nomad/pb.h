/* Short names for the protobuf-c types generated from nomad/proto/: the
 * package prefixes make them unreadable otherwise. */
#ifndef DROVER_NOMAD_PB_H
#define DROVER_NOMAD_PB_H

#include "base.pb-c.h"
#include "driver.pb-c.h"
#include "goplugin.pb-c.h"
#include "hclspec.pb-c.h"
#include "health.pb-c.h"
#include "structs.pb-c.h"

#define HS(x) Hashicorp__Nomad__Plugins__Shared__Hclspec__##x
#define HS_INIT(X) HASHICORP__NOMAD__PLUGINS__SHARED__HCLSPEC__##X##__INIT
#define HS_CASE(X) HASHICORP__NOMAD__PLUGINS__SHARED__HCLSPEC__SPEC__BLOCK_##X
#define BP(x) Hashicorp__Nomad__Plugins__Base__Proto__##x
#define BP_INIT(X) HASHICORP__NOMAD__PLUGINS__BASE__PROTO__##X##__INIT
#define BP_C(X) HASHICORP__NOMAD__PLUGINS__BASE__PROTO__##X
#define DP(x) Hashicorp__Nomad__Plugins__Drivers__Proto__##x
#define DP_INIT(X) HASHICORP__NOMAD__PLUGINS__DRIVERS__PROTO__##X##__INIT
#define DP_C(X) HASHICORP__NOMAD__PLUGINS__DRIVERS__PROTO__##X
#define DP_DESC(x) hashicorp__nomad__plugins__drivers__proto__##x##__descriptor
#define BP_DESC(x) hashicorp__nomad__plugins__base__proto__##x##__descriptor
#define ST(x) Hashicorp__Nomad__Plugins__Shared__Structs__##x
#define ST_INIT(X) HASHICORP__NOMAD__PLUGINS__SHARED__STRUCTS__##X##__INIT

/* A message of `type` in arena `a`, initialised; NULL when out of memory. */
#define PB_NEW(a, type, init)                                                                   \
	({                                                                                          \
		type *pb_new_ = NOMAD_NEW((a), type);                                                   \
		if (pb_new_)                                                                            \
			*pb_new_ = (type)init;                                                              \
		pb_new_;                                                                                \
	})

#endif

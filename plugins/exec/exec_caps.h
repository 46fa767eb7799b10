/* Linux capabilities by Nomad's names ("net_raw", also "CAP_NET_RAW"), as
 * bit sets, and the task's set computed as Nomad's exec driver does:
 * allow_caps, minus cap_drop ("all" drops everything), plus cap_add, where
 * every added capability must be in allow_caps. */
#ifndef EXEC_CAPS_H
#define EXEC_CAPS_H

#include <stdint.h>

#include <drover/driver.h>

/* Nomad's default allow_caps: Docker's default set without NET_RAW. */
#define EXEC_CAPS_DEFAULT_JSON                                                             \
	"[\"audit_write\",\"chown\",\"dac_override\",\"fowner\",\"fsetid\",\"kill\","       \
	"\"mknod\",\"net_bind_service\",\"setfcap\",\"setgid\",\"setpcap\",\"setuid\","    \
	"\"sys_chroot\"]"

/* The capabilities this kernel knows ("all"). */
uint64_t exec_caps_all(void);

/* The capability number of `name`, or -1. */
int exec_caps_number(const char *name);

/* The set of a string list value `list` (NULL: empty); `field` names it in
 * messages; "all" is accepted when allow_all. 0 or -EINVAL. */
int exec_caps_parse(const drover_value *list, const char *field, int allow_all, uint64_t *out,
                    drover_err *err);

/* The task's set; -EPERM naming every capability of cap_add that
 * allow_caps does not hold ("net_admin, sys_time"). */
int exec_caps_compute(uint64_t allow, const drover_value *cap_add, const drover_value *cap_drop,
                      uint64_t *out, drover_err *err);

#endif

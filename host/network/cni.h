/* Running CNI plugins as the CNI specification says (SPEC.md, "Execution
 * Protocol" and "Network configuration lists"): each plugin is an executable
 * found by its `type` in the CNI path, called with CNI_COMMAND,
 * CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_PATH in its environment
 * and its network configuration as JSON on stdin; it answers with a result
 * (or an error object) as JSON on stdout. drover does not do what the
 * plugins do; it only chains them:
 * - ADD runs the list's plugins in order, each one given the list's `name`
 *   and `cniVersion`, the previous plugin's result as `prevResult`, and
 *   `runtimeConfig` holding the runtime's values of the capabilities it
 *   declares (portMappings);
 * - DEL runs them in reverse order, each one given the ADD's final result as
 *   `prevResult`; a DEL of something already gone succeeds (plugins make
 *   DEL idempotent), so a teardown can always be retried;
 * - CHECK runs them in order with the ADD's result.
 * A plugin that runs longer than the timeout is killed and the call fails. */
#ifndef DROVER_HOST_NETWORK_CNI_H
#define DROVER_HOST_NETWORK_CNI_H

#include <drover/driver.h>

typedef struct drover_cni_runtime {
	const char *cni_path;      /* directories of plugin binaries, ':'-separated */
	const char *container_id;  /* the allocation id */
	const char *netns_path;
	const char *ifname;        /* "eth0" */
	long long timeout_ms;      /* per plugin; 0: 60 s */
} drover_cni_runtime;

/* `conflist` is a network configuration list (an object with cniVersion,
 * name and plugins). `runtime_config` (an object, or NULL) holds the
 * values of capabilities: a plugin gets those its `capabilities` ask for.
 * On success `*result` is the final result as JSON text (malloc()ed). On
 * failure the plugins that succeeded are not undone: call drover_cni_del. */
/* `progress` (may be NULL) is told the result so far after each plugin's
 * ADD succeeded, so a caller can record it before the next plugin runs: a
 * DEL after a crash then gets the addresses the later plugins acted on. */
typedef void (*drover_cni_progress_fn)(void *data, const char *result_so_far);
int drover_cni_add(const drover_cni_runtime *rt, const drover_value *conflist,
                   const drover_value *runtime_config, drover_cni_progress_fn progress,
                   void *progress_data, char **result, drover_err *err);

/* `prev_result` is the ADD's result text, or NULL when the ADD never
 * finished (plugins then remove what they find by container id). Every
 * plugin is called even after one failed; the first failure is returned. */
int drover_cni_del(const drover_cni_runtime *rt, const drover_value *conflist,
                   const drover_value *runtime_config, const char *prev_result,
                   drover_err *err);

int drover_cni_check(const drover_cni_runtime *rt, const drover_value *conflist,
                     const drover_value *runtime_config, const char *prev_result,
                     drover_err *err);

/* The first IPv4 address of a result (without its prefix length) into
 * `out`; -ENOENT when it has none. */
int drover_cni_result_ipv4(const char *result, char *out, size_t len);

#endif

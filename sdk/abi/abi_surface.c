/* The whole public type surface of the drover SDK, reachable from one exported
 * function, so that the debug info of the library built from this file (and
 * `abidw` reading it) describes every public struct, enum and function-pointer
 * type. tests/abi/test_abidiff.sh compares that description against the
 * committed baseline sdk/abi/drover-sdk-1.abi.
 *
 * The types hang off one struct by pointer rather than being parameters of
 * the function, so that the exported function itself never changes: a public
 * type added in a minor release is a member appended to drover_abi_surface,
 * released with a regenerated baseline. Nothing ever calls this code. */
#include <drover/driver.h>
#include <drover/schema.h>
#include <drover/value.h>

/* Append new public types at the end, like every other 1.x change. */
typedef struct drover_abi_surface {
	const drover_driver *driver;
	drover_driver_entry_fn entry;
	drover_event_fn event_fn;
	const drover_host *host;
	drover_err *err;
	drover_log_level log_level;
	drover_capabilities *capabilities;
	drover_fs_isolation fs_isolation;
	drover_fingerprint *fingerprint;
	drover_health health;
	const drover_task_config *task_config;
	drover_handle *handle;
	drover_exit_result *exit_result;
	drover_task_state task_state;
	drover_task_status *task_status;
	drover_task_stats *task_stats;
	const drover_event *event;
	const drover_exec_request *exec_request;
	const drover_spawn_request *spawn_request;
	drover_proc *proc;
	const drover_field *field;
	drover_field_type field_type;
	const drover_value *value;
	drover_value_type value_type;
	const drover_mount *mount; /* 1.2 */
	const drover_network *network; /* 1.3 */
	const drover_network_request *network_request; /* 1.3 */
	drover_network_created *network_created; /* 1.3 */
} drover_abi_surface;

__attribute__((visibility("default"))) size_t drover_abi_surface_size(const drover_abi_surface *s);

size_t drover_abi_surface_size(const drover_abi_surface *s)
{
	return s ? sizeof(*s) : 0;
}

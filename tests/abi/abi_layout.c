/* The frozen layout of the drover SDK ABI 1.x, checked at compile time and at
 * run time.
 *
 * A plugin built against drover-sdk 1.0 and a host built against 1.N share
 * these structs by address, so within major 1 no member may move, shrink, grow
 * or change type: a minor release only appends (see driver.h, "Versioning").
 * This file records every member's offset and size as the 1.0 headers lay
 * them out on x86_64 (LP64) and fails the build (_Static_assert) when a header
 * change moves one. On other targets the absolute numbers do not apply; the
 * frozen prefix of drover_driver and drover_host (struct_size, abi_major,
 * abi_minor at 0, 4 and 6) and the declaration order are checked everywhere.
 *
 * Structs that carry a struct_size may grow at the end in a minor release, so
 * their size is checked as "at least" the 1.0 size. drover_err, drover_handle,
 * drover_field and drover_value have no struct_size (drover_field and
 * drover_value are walked as arrays with the host's sizeof) and are frozen
 * whole.
 *
 * After an intended change (a new minor appended members): add the new
 * members here at their measured offsets and regenerate sdk/abi/drover-sdk-1.abi
 * (see tests/abi/test_abidiff.sh). Never edit an existing line to make this
 * pass: that is an ABI break, which needs a new major and entry symbol. */
#include "config.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <drover/driver.h>

#include "test_support.h"

#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)

/* ------------------------------------------------ the layout of ABI 1.0 (LP64)
 *
 * Every member, in declaration order, as FIELD(struct, member, offset, size);
 * each struct as SIZE_FIXED or SIZE_AT_LEAST(struct, size, alignment). The
 * members of drover_value's union are listed after `u`: they overlap by design. */
#define DROVER_ABI_1_0_LAYOUT(SIZE_FIXED, SIZE_AT_LEAST, FIELD) \
	SIZE_FIXED(drover_err, 512, 1) \
	FIELD(drover_err, message, 0, 512) \
	SIZE_AT_LEAST(drover_capabilities, 20, 4) \
	FIELD(drover_capabilities, struct_size, 0, 4) \
	FIELD(drover_capabilities, send_signals, 4, 4) \
	FIELD(drover_capabilities, exec, 8, 4) \
	FIELD(drover_capabilities, fs_isolation, 12, 4) \
	FIELD(drover_capabilities, network_modes, 16, 4) \
	FIELD(drover_capabilities, must_initiate_network, 20, 4) /* 1.3 */ \
	SIZE_AT_LEAST(drover_fingerprint, 280, 8) \
	FIELD(drover_fingerprint, struct_size, 0, 4) \
	FIELD(drover_fingerprint, health, 4, 4) \
	FIELD(drover_fingerprint, description, 8, 256) \
	FIELD(drover_fingerprint, sink, 264, 8) \
	FIELD(drover_fingerprint, set_attribute, 272, 8) \
	SIZE_AT_LEAST(drover_task_config, 192, 8) \
	FIELD(drover_task_config, struct_size, 0, 4) \
	FIELD(drover_task_config, id, 8, 8) \
	FIELD(drover_task_config, job_id, 16, 8) \
	FIELD(drover_task_config, job_name, 24, 8) \
	FIELD(drover_task_config, group_name, 32, 8) \
	FIELD(drover_task_config, task_name, 40, 8) \
	FIELD(drover_task_config, alloc_id, 48, 8) \
	FIELD(drover_task_config, alloc_name, 56, 8) \
	FIELD(drover_task_config, alloc_index, 64, 4) \
	FIELD(drover_task_config, alloc_dir, 72, 8) \
	FIELD(drover_task_config, task_dir, 80, 8) \
	FIELD(drover_task_config, log_dir, 88, 8) \
	FIELD(drover_task_config, env, 96, 8) \
	FIELD(drover_task_config, config, 104, 8) \
	FIELD(drover_task_config, user, 112, 8) \
	FIELD(drover_task_config, cpu_mhz, 120, 8) \
	FIELD(drover_task_config, memory_mb, 128, 8) \
	FIELD(drover_task_config, memory_max_mb, 136, 8) \
	FIELD(drover_task_config, kill_signal, 144, 4) \
	FIELD(drover_task_config, kill_timeout_ms, 152, 8) \
	FIELD(drover_task_config, log_max_files, 160, 4) \
	FIELD(drover_task_config, log_max_file_size_mb, 168, 8) \
	FIELD(drover_task_config, event_sink, 176, 8) \
	FIELD(drover_task_config, emit_event, 184, 8) \
	FIELD(drover_task_config, state_dir, 192, 8) /* 1.2 */ \
	FIELD(drover_task_config, kill_signal_set, 200, 4) /* 1.2 */ \
	FIELD(drover_task_config, mounts, 208, 8) /* 1.2 */ \
	FIELD(drover_task_config, task_ports, 216, 8) /* 1.2 */ \
	FIELD(drover_task_config, network, 224, 8) /* 1.3 */ \
	SIZE_AT_LEAST(drover_network, 80, 8) /* 1.3 */ \
	FIELD(drover_network, struct_size, 0, 4) \
	FIELD(drover_network, mode, 8, 8) \
	FIELD(drover_network, netns_path, 16, 8) \
	FIELD(drover_network, dns_servers, 24, 8) \
	FIELD(drover_network, dns_searches, 32, 8) \
	FIELD(drover_network, dns_options, 40, 8) \
	FIELD(drover_network, hostname, 48, 8) \
	FIELD(drover_network, created_handle, 56, 8) \
	FIELD(drover_network, created_handle_len, 64, 8) \
	FIELD(drover_network, address, 72, 8) \
	SIZE_AT_LEAST(drover_network_request, 56, 8) /* 1.3 */ \
	FIELD(drover_network_request, struct_size, 0, 4) \
	FIELD(drover_network_request, alloc_id, 8, 8) \
	FIELD(drover_network_request, job_id, 16, 8) \
	FIELD(drover_network_request, group_name, 24, 8) \
	FIELD(drover_network_request, mode, 32, 8) \
	FIELD(drover_network_request, hostname, 40, 8) \
	FIELD(drover_network_request, state_dir, 48, 8) \
	SIZE_AT_LEAST(drover_network_created, 32, 8) /* 1.3 */ \
	FIELD(drover_network_created, struct_size, 0, 4) \
	FIELD(drover_network_created, netns_path, 8, 8) \
	FIELD(drover_network_created, handle, 16, 16) \
	SIZE_AT_LEAST(drover_mount, 48, 8) /* 1.2 */ \
	FIELD(drover_mount, struct_size, 0, 4) \
	FIELD(drover_mount, volume, 8, 8) \
	FIELD(drover_mount, source, 16, 8) \
	FIELD(drover_mount, destination, 24, 8) \
	FIELD(drover_mount, read_only, 32, 4) \
	FIELD(drover_mount, propagation, 40, 8) \
	SIZE_FIXED(drover_handle, 16, 8) \
	FIELD(drover_handle, data, 0, 8) \
	FIELD(drover_handle, len, 8, 8) \
	SIZE_AT_LEAST(drover_exit_result, 280, 8) \
	FIELD(drover_exit_result, struct_size, 0, 4) \
	FIELD(drover_exit_result, exit_code, 4, 4) \
	FIELD(drover_exit_result, signal, 8, 4) \
	FIELD(drover_exit_result, oom_killed, 12, 4) \
	FIELD(drover_exit_result, exited_at_ms, 16, 8) \
	FIELD(drover_exit_result, error, 24, 256) \
	SIZE_AT_LEAST(drover_task_status, 304, 8) \
	FIELD(drover_task_status, struct_size, 0, 4) \
	FIELD(drover_task_status, state, 4, 4) \
	FIELD(drover_task_status, pid, 8, 4) \
	FIELD(drover_task_status, started_at_ms, 16, 8) \
	FIELD(drover_task_status, completed_at_ms, 24, 8) \
	FIELD(drover_task_status, exit_code, 32, 4) \
	FIELD(drover_task_status, signal, 36, 4) \
	FIELD(drover_task_status, oom_killed, 40, 4) \
	FIELD(drover_task_status, detail, 44, 256) \
	SIZE_AT_LEAST(drover_task_stats, 64, 8) \
	FIELD(drover_task_stats, struct_size, 0, 4) \
	FIELD(drover_task_stats, timestamp_ms, 8, 8) \
	FIELD(drover_task_stats, cpu_user_ns, 16, 8) \
	FIELD(drover_task_stats, cpu_system_ns, 24, 8) \
	FIELD(drover_task_stats, memory_rss_bytes, 32, 8) \
	FIELD(drover_task_stats, memory_usage_bytes, 40, 8) \
	FIELD(drover_task_stats, memory_max_usage_bytes, 48, 8) \
	FIELD(drover_task_stats, pids, 56, 8) \
	SIZE_AT_LEAST(drover_event, 32, 8) \
	FIELD(drover_event, struct_size, 0, 4) \
	FIELD(drover_event, type, 8, 8) \
	FIELD(drover_event, message, 16, 8) \
	FIELD(drover_event, time_ms, 24, 8) \
	SIZE_AT_LEAST(drover_exec_request, 56, 8) \
	FIELD(drover_exec_request, struct_size, 0, 4) \
	FIELD(drover_exec_request, argv, 8, 8) \
	FIELD(drover_exec_request, env, 16, 8) \
	FIELD(drover_exec_request, stdin_fd, 24, 4) \
	FIELD(drover_exec_request, stdout_fd, 28, 4) \
	FIELD(drover_exec_request, stderr_fd, 32, 4) \
	FIELD(drover_exec_request, timeout_ms, 40, 8) \
	FIELD(drover_exec_request, tty, 48, 4) \
	SIZE_AT_LEAST(drover_spawn_request, 88, 8) \
	FIELD(drover_spawn_request, struct_size, 0, 4) \
	FIELD(drover_spawn_request, argv, 8, 8) \
	FIELD(drover_spawn_request, env, 16, 8) \
	FIELD(drover_spawn_request, work_dir, 24, 8) \
	FIELD(drover_spawn_request, state_dir, 32, 8) \
	FIELD(drover_spawn_request, log_dir, 40, 8) \
	FIELD(drover_spawn_request, log_name, 48, 8) \
	FIELD(drover_spawn_request, log_max_files, 56, 4) \
	FIELD(drover_spawn_request, log_max_file_size, 64, 8) \
	FIELD(drover_spawn_request, uid, 72, 4) \
	FIELD(drover_spawn_request, gid, 76, 4) \
	FIELD(drover_spawn_request, cgroup, 80, 8) \
	FIELD(drover_spawn_request, oom_score_adj, 88, 4) /* 1.1 */ \
	SIZE_AT_LEAST(drover_proc, 4136, 8) \
	FIELD(drover_proc, struct_size, 0, 4) \
	FIELD(drover_proc, pid, 4, 4) \
	FIELD(drover_proc, shim_pid, 8, 4) \
	FIELD(drover_proc, pid_start_time, 16, 8) \
	FIELD(drover_proc, shim_start_time, 24, 8) \
	FIELD(drover_proc, started_at_ms, 32, 8) \
	FIELD(drover_proc, state_dir, 40, 4096) \
	SIZE_AT_LEAST(drover_host, 72, 8) \
	FIELD(drover_host, struct_size, 0, 4) \
	FIELD(drover_host, abi_major, 4, 2) \
	FIELD(drover_host, abi_minor, 6, 2) \
	FIELD(drover_host, host_data, 8, 8) \
	FIELD(drover_host, log, 16, 8) \
	FIELD(drover_host, agent_config, 24, 8) \
	FIELD(drover_host, proc_spawn, 32, 8) \
	FIELD(drover_host, proc_wait_fd, 40, 8) \
	FIELD(drover_host, proc_status, 48, 8) \
	FIELD(drover_host, proc_signal, 56, 8) \
	FIELD(drover_host, proc_stop, 64, 8) \
	FIELD(drover_host, proc_find, 72, 8) /* 1.2 */ \
	SIZE_AT_LEAST(drover_driver, 184, 8) \
	FIELD(drover_driver, struct_size, 0, 4) \
	FIELD(drover_driver, abi_major, 4, 2) \
	FIELD(drover_driver, abi_minor, 6, 2) \
	FIELD(drover_driver, name, 8, 8) \
	FIELD(drover_driver, version, 16, 8) \
	FIELD(drover_driver, description, 24, 8) \
	FIELD(drover_driver, plugin_schema, 32, 8) \
	FIELD(drover_driver, task_schema, 40, 8) \
	FIELD(drover_driver, init, 48, 8) \
	FIELD(drover_driver, fini, 56, 8) \
	FIELD(drover_driver, set_config, 64, 8) \
	FIELD(drover_driver, capabilities, 72, 8) \
	FIELD(drover_driver, fingerprint, 80, 8) \
	FIELD(drover_driver, start, 88, 8) \
	FIELD(drover_driver, recover, 96, 8) \
	FIELD(drover_driver, wait_fd, 104, 8) \
	FIELD(drover_driver, wait, 112, 8) \
	FIELD(drover_driver, stop, 120, 8) \
	FIELD(drover_driver, destroy, 128, 8) \
	FIELD(drover_driver, inspect, 136, 8) \
	FIELD(drover_driver, stats, 144, 8) \
	FIELD(drover_driver, events, 152, 8) \
	FIELD(drover_driver, signal, 160, 8) \
	FIELD(drover_driver, exec, 168, 8) \
	FIELD(drover_driver, periodic, 176, 8) \
	FIELD(drover_driver, create_network, 184, 8) /* 1.3 */ \
	FIELD(drover_driver, destroy_network, 192, 8) /* 1.3 */ \
	SIZE_FIXED(drover_field, 40, 8) \
	FIELD(drover_field, name, 0, 8) \
	FIELD(drover_field, type, 8, 4) \
	FIELD(drover_field, required, 12, 4) \
	FIELD(drover_field, default_json, 16, 8) \
	FIELD(drover_field, description, 24, 8) \
	FIELD(drover_field, fields, 32, 8) \
	SIZE_FIXED(drover_value, 32, 8) \
	FIELD(drover_value, type, 0, 4) \
	FIELD(drover_value, u, 8, 24) \
	FIELD(drover_value, u.boolean, 8, 4) \
	FIELD(drover_value, u.integer, 8, 8) \
	FIELD(drover_value, u.number, 8, 8) \
	FIELD(drover_value, u.string.ptr, 8, 8) \
	FIELD(drover_value, u.string.len, 16, 8) \
	FIELD(drover_value, u.array.count, 8, 8) \
	FIELD(drover_value, u.array.items, 16, 8) \
	FIELD(drover_value, u.object.count, 8, 8) \
	FIELD(drover_value, u.object.keys, 16, 8) \
	FIELD(drover_value, u.object.values, 24, 8) \

/* ------------------------------------------------------- checked everywhere */

/* The prefix the host reads before it knows anything else about a plugin: it
 * never moves, in any major (driver.h). */
_Static_assert(offsetof(drover_driver, struct_size) == 0,
               "drover_driver.struct_size must stay at offset 0 (frozen in every ABI major)");
_Static_assert(offsetof(drover_driver, abi_major) == 4,
               "drover_driver.abi_major must stay at offset 4 (frozen in every ABI major)");
_Static_assert(offsetof(drover_driver, abi_minor) == 6,
               "drover_driver.abi_minor must stay at offset 6 (frozen in every ABI major)");
_Static_assert(MEMBER_SIZE(drover_driver, struct_size) == 4 &&
                       MEMBER_SIZE(drover_driver, abi_major) == 2 &&
                       MEMBER_SIZE(drover_driver, abi_minor) == 2,
               "drover_driver's frozen prefix must stay uint32_t, uint16_t, uint16_t");
_Static_assert(offsetof(drover_host, struct_size) == 0 && offsetof(drover_host, abi_major) == 4 &&
                       offsetof(drover_host, abi_minor) == 6,
               "drover_host must start with struct_size, abi_major, abi_minor at 0, 4, 6 "
               "like drover_driver");
_Static_assert(MEMBER_SIZE(drover_host, struct_size) == 4 &&
                       MEMBER_SIZE(drover_host, abi_major) == 2 &&
                       MEMBER_SIZE(drover_host, abi_minor) == 2,
               "drover_host's prefix must stay uint32_t, uint16_t, uint16_t");
_Static_assert(DROVER_ABI_MAJOR == 1,
               "this file records the layout of ABI major 1: a new major gets its own "
               "layout file and baseline");

/* -------------------------------------------------- x86_64 (LP64): absolutes */

#if defined(__x86_64__) && defined(__LP64__)
#define STATIC_SIZE_FIXED(type, size, align)                                             \
	_Static_assert(sizeof(type) == (size), #type " changed size: it is frozen whole in " \
	                                             "ABI 1.x (sdk/include/drover)");    \
	_Static_assert(alignof(type) == (align), #type " changed alignment (frozen in ABI 1.x)");
#define STATIC_SIZE_AT_LEAST(type, size, align)                                          \
	_Static_assert(sizeof(type) >= (size), #type " shrank below its ABI 1.0 size: "       \
	                                             "members may only be appended");      \
	_Static_assert(alignof(type) == (align), #type " changed alignment (frozen in ABI 1.x)");
#define STATIC_FIELD(type, member, offset, size)                                          \
	_Static_assert(offsetof(type, member) == (offset),                                  \
	               #type "." #member " moved from offset " #offset ": the ABI 1.x layout " \
	               "is frozen (sdk/include/drover); append new members at the end");    \
	_Static_assert(MEMBER_SIZE(type, member) == (size),                                 \
	               #type "." #member " changed size from " #size " bytes: the ABI 1.x "  \
	               "layout is frozen (sdk/include/drover)");
DROVER_ABI_1_0_LAYOUT(STATIC_SIZE_FIXED, STATIC_SIZE_AT_LEAST, STATIC_FIELD)
#define LAYOUT_IS_LP64_X86_64 1
#else
#define LAYOUT_IS_LP64_X86_64 0
#endif

/* --------------------------------------------------------------- run time */

enum entry_kind { SIZE_FIXED_ENTRY, SIZE_AT_LEAST_ENTRY, FIELD_ENTRY };

typedef struct layout_entry {
	enum entry_kind kind;
	const char *type;
	const char *member; /* NULL for a size entry */
	size_t expected_offset, expected_size, expected_align;
	size_t offset, size, align; /* as compiled here; align is the struct's */
	size_t type_size;
} layout_entry;

#define TABLE_SIZE_FIXED(type, size, align) \
	{SIZE_FIXED_ENTRY, #type, NULL, 0, size, align, 0, sizeof(type), alignof(type), sizeof(type)},
#define TABLE_SIZE_AT_LEAST(type, size, align) \
	{SIZE_AT_LEAST_ENTRY, #type, NULL, 0, size, align, 0, sizeof(type), alignof(type), sizeof(type)},
#define TABLE_FIELD(type, member, offset, size)                                           \
	{FIELD_ENTRY, #type, #member, offset, size, 0, offsetof(type, member),             \
	 MEMBER_SIZE(type, member), alignof(type), sizeof(type)},

static const layout_entry layout[] = {
	DROVER_ABI_1_0_LAYOUT(TABLE_SIZE_FIXED, TABLE_SIZE_AT_LEAST, TABLE_FIELD)
};
#define LAYOUT_COUNT (sizeof(layout) / sizeof(layout[0]))

/* The same numbers as the _Static_asserts, reported all at once: a reader of
 * the test log sees every member that moved, not only the first. */
Test(layout, every_member_is_where_abi_1_0_put_it)
{
	if (!LAYOUT_IS_LP64_X86_64)
		cr_skip_test("the recorded offsets are those of x86_64 (LP64); the portable "
		             "checks run in the other tests");
	int moved = 0;
	for (size_t i = 0; i < LAYOUT_COUNT; i++) {
		const layout_entry *e = &layout[i];
		switch (e->kind) {
		case SIZE_FIXED_ENTRY:
			if (e->size != e->expected_size || e->align != e->expected_align) {
				cr_log_error("%s: size %zu align %zu, ABI 1.0 froze size %zu align %zu",
				             e->type, e->size, e->align, e->expected_size, e->expected_align);
				moved++;
			}
			break;
		case SIZE_AT_LEAST_ENTRY:
			if (e->size < e->expected_size || e->align != e->expected_align) {
				cr_log_error("%s: size %zu align %zu, ABI 1.0 had size %zu align %zu "
				             "(it may only grow at the end)",
				             e->type, e->size, e->align, e->expected_size, e->expected_align);
				moved++;
			}
			break;
		case FIELD_ENTRY:
			if (e->offset != e->expected_offset || e->size != e->expected_size) {
				cr_log_error("%s.%s: offset %zu size %zu, ABI 1.0 froze offset %zu size %zu",
				             e->type, e->member, e->offset, e->size, e->expected_offset,
				             e->expected_size);
				moved++;
			}
			break;
		}
	}
	cr_assert_eq(moved, 0, "%d frozen members or structs of sdk/include/drover changed layout "
	                       "(see the lines above)", moved);
}

/* Portable: on any target the members lie in declaration order, inside their
 * struct, without overlapping. A reordering in the header fails here even
 * where the absolute offsets are not recorded. */
Test(layout, members_keep_declaration_order_on_every_target)
{
	const layout_entry *prev = NULL;
	for (size_t i = 0; i < LAYOUT_COUNT; i++) {
		const layout_entry *e = &layout[i];
		if (e->kind != FIELD_ENTRY) {
			prev = NULL;
			continue;
		}
		cr_assert_leq(e->offset + e->size, e->type_size, "%s.%s (offset %zu, size %zu) "
		              "lies outside sizeof(%s) = %zu", e->type, e->member, e->offset, e->size,
		              e->type, e->type_size);
		/* drover_value's union members overlap `u` and each other. */
		if (strncmp(e->member, "u.", 2) == 0)
			continue;
		if (prev)
			cr_assert_geq(e->offset, prev->offset + prev->size,
			              "%s.%s (offset %zu) no longer follows %s.%s (offset %zu, size "
			              "%zu): the members of a frozen struct were reordered",
			              e->type, e->member, e->offset, prev->type, prev->member,
			              prev->offset, prev->size);
		prev = e;
	}
}

/* The table covers every struct of the public headers: a new public struct
 * added without a layout entry fails here by name. */
Test(layout, every_public_struct_is_recorded)
{
	static const char *const structs[] = {
		"drover_err", "drover_capabilities", "drover_fingerprint", "drover_task_config",
		"drover_handle", "drover_exit_result", "drover_task_status", "drover_task_stats",
		"drover_event", "drover_exec_request", "drover_spawn_request", "drover_proc",
		"drover_host", "drover_driver", "drover_field", "drover_value",
	};
	for (size_t s = 0; s < sizeof(structs) / sizeof(structs[0]); s++) {
		int found = 0;
		for (size_t i = 0; i < LAYOUT_COUNT; i++)
			found |= layout[i].kind != FIELD_ENTRY && strcmp(layout[i].type, structs[s]) == 0;
		cr_assert(found, "%s has no size entry in tests/abi/abi_layout.c", structs[s]);
	}
}

/* The numbers the loader relies on when it reads a descriptor of an older
 * minor: the frozen prefix is 8 bytes and the required methods end at
 * `destroy`. */
Test(layout, descriptor_prefix_and_required_methods)
{
	cr_assert_eq(offsetof(drover_driver, name), 8,
	             "drover_driver's frozen prefix is no longer 8 bytes");
	cr_assert_lt(offsetof(drover_driver, destroy), offsetof(drover_driver, inspect),
	             "an optional method moved before the last required one (destroy)");
}

/* A member appended in a minor must be recorded here too: after the last
 * recorded member of each struct there is at most alignment padding. */
Test(layout, no_member_is_left_unrecorded)
{
	for (size_t i = 0; i < LAYOUT_COUNT; i++) {
		const layout_entry *e = &layout[i];
		if (e->kind != FIELD_ENTRY || strncmp(e->member, "u.", 2) == 0)
			continue;
		if (i + 1 < LAYOUT_COUNT && layout[i + 1].kind == FIELD_ENTRY &&
		    strcmp(layout[i + 1].type, e->type) == 0)
			continue; /* not the last member of its struct */
		size_t end = e->offset + e->size;
		/* Only the struct's own trailing padding may follow. */
		cr_assert_lt(e->type_size - end, e->align,
		             "sizeof(%s) is %zu but its last recorded member %s ends at %zu: record "
		             "the appended members in tests/abi/abi_layout.c",
		             e->type, e->type_size, e->member, end);
	}
}

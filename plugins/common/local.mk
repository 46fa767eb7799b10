# Helpers the shim-supervised in-tree drivers (raw_exec, exec) share: cgroups,
# the environment filter, the exec method, /proc statistics, the handle, id
# sets and finding what is left of a task whose handle is lost. A noinst convenience library linked statically into each plugin, so
# the plugins still import nothing from the host and export only their entry.
noinst_LTLIBRARIES += plugins/common/libplugincommon.la
plugins_common_libplugincommon_la_SOURCES = \
	plugins/common/plugin_handle.c plugins/common/plugin_handle.h \
	plugins/common/plugin_stats.c plugins/common/plugin_stats.h \
	plugins/common/plugin_cgroup.c plugins/common/plugin_cgroup.h \
	plugins/common/plugin_devices.c plugins/common/plugin_devices.h \
	plugins/common/plugin_env.c plugins/common/plugin_env.h \
	plugins/common/plugin_exec.c plugins/common/plugin_exec.h \
	plugins/common/plugin_ids.c plugins/common/plugin_ids.h \
	plugins/common/plugin_leftovers.c plugins/common/plugin_leftovers.h \
	plugins/common/plugin_task.c plugins/common/plugin_task.h
plugins_common_libplugincommon_la_CFLAGS = $(AM_CFLAGS) $(PLUGIN_COMPILE_FLAGS) $(CGROUP_CFLAGS)
plugins_common_libplugincommon_la_LIBADD = $(CGROUP_LIBS)

# Resolving task-writable paths without following symlinks (plugin_resolve.h)
# and writing, into a task's root-only state directory (plugin_state_file.h),
# its resolv.conf from its group's DNS block (plugin_resolv.h) and its hosts
# file from its group network (plugin_hosts.h): their own library, so that the
# docker driver links them without the cgroup code.
noinst_LTLIBRARIES += plugins/common/libpluginresolve.la
plugins_common_libpluginresolve_la_SOURCES = \
	plugins/common/plugin_resolve.c plugins/common/plugin_resolve.h \
	plugins/common/plugin_resolv.c plugins/common/plugin_resolv.h \
	plugins/common/plugin_network.h \
	plugins/common/plugin_state_file.c plugins/common/plugin_state_file.h \
	plugins/common/plugin_hosts.c plugins/common/plugin_hosts.h
plugins_common_libpluginresolve_la_CFLAGS = $(AM_CFLAGS) $(PLUGIN_COMPILE_FLAGS)
plugins_common_libplugincommon_la_LIBADD += plugins/common/libpluginresolve.la

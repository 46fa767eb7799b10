# The drover host: CLI, agent config, task environment, allocation directories,
# the attached task runner. Its modules live in a convenience library so the
# tests link the same code the binary runs.
noinst_LTLIBRARIES += host/libdroverhost.la
host_libdroverhost_la_SOURCES = \
	host/agent.c host/agent.h \
	host/agent_config.c host/agent_config.h \
	host/agent_lock.c host/agent_lock.h \
	host/allocdir.c host/allocdir.h \
	host/build_tree.c host/build_tree.h \
	host/cli_options.c host/cli_options.h \
	host/context.c host/context.h \
	host/crash.c host/crash.h \
	host/host_services.c host/host_services.h \
	host/host_volume.c host/host_volume.h \
	host/interpolate.c host/interpolate.h \
	host/nodeinfo.c host/nodeinfo.h \
	host/plugin_suggest.c host/plugin_suggest.h \
	host/network/group_network.c host/network/group_network.h \
	host/network/admin_chain.c host/network/admin_chain.h \
	host/network/alloc_network.c host/network/alloc_network.h \
	host/network/bridge_config.c host/network/bridge_config.h \
	host/network/cni.c host/network/cni.h \
	host/network/netns.c host/network/netns.h \
	host/network/network_config.c host/network/network_config.h \
	host/network/network_store.c host/network/network_store.h \
	host/network/ports.c host/network/ports.h \
	host/network/state_ports.c host/network/state_ports.h \
	host/network/portmap.c host/network/portmap.h \
	host/lifecycle.c host/lifecycle.h \
	host/restart_policy.c host/restart_policy.h \
	host/runner.c host/runner.h \
	host/runner_store.c host/runner_store.h \
	host/state_recover.c host/state_recover.h \
	host/state_store.c host/state_store.h \
	host/state_internal.h \
	host/state_orphans.c host/state_orphans.h \
	host/task_events.c host/task_events.h \
	host/task_limits.c host/task_limits.h \
	host/taskenv.c host/taskenv.h \
	host/util.c host/util.h
host_libdroverhost_la_CPPFLAGS = $(AM_CPPFLAGS) $(YAJL_CFLAGS) $(SQLITE_CFLAGS) \
	-DDROVER_PLUGINDIR='"$(plugindir)"' \
	-DDROVER_DATADIR='"$(drover_data_dir)"'
host_libdroverhost_la_LIBADD = host/libdroverloader.la host/libdroverproc.la \
	host/libdroverconf.la $(YAJL_LIBS) $(SQLITE_LIBS) -lpthread

bin_PROGRAMS += host/drover
host_drover_SOURCES = \
	host/main.c \
	host/cmd_fingerprint.c \
	host/cmd_plugins.c \
	host/cmd_run.c \
	host/cmd_status.c \
	host/status_view.c host/status_view.h \
	host/status_text.c host/status_text.h \
	host/status_json.c host/status_json.h \
	host/cmd_wait.c \
	host/cmd_stop.c \
	host/cmd_signal.c \
	host/cmd_logs.c \
	host/cmd_exec.c \
	host/cmd_gc.c \
	host/cmd_agent.c \
	host/cmd_validate.c \
	host/commands.h
host_drover_CPPFLAGS = $(AM_CPPFLAGS) $(YAJL_CFLAGS) $(SQLITE_CFLAGS) -DDROVER_PLUGINDIR='"$(plugindir)"'
host_drover_LDADD = host/libdroverhost.la $(YAJL_LIBS)

# The raw_exec driver: tasks run as plain processes under drover-shim, with no
# isolation. It reaches processes only through the host services it is given.
plugin_LTLIBRARIES += plugins/rawexec/raw_exec.la
plugins_rawexec_raw_exec_la_SOURCES = \
	plugins/rawexec/rawexec.c \
	plugins/rawexec/rawexec_handle.c plugins/rawexec/rawexec_handle.h \
	plugins/rawexec/rawexec_stats.c plugins/rawexec/rawexec_stats.h \
	plugins/rawexec/rawexec_cgroup.c plugins/rawexec/rawexec_cgroup.h \
	plugins/rawexec/rawexec_env.c plugins/rawexec/rawexec_env.h \
	plugins/rawexec/rawexec_exec.c plugins/rawexec/rawexec_exec.h \
	plugins/rawexec/rawexec_ids.c plugins/rawexec/rawexec_ids.h \
	plugins/rawexec/rawexec_leftovers.c plugins/rawexec/rawexec_leftovers.h
plugins_rawexec_raw_exec_la_CFLAGS = $(AM_CFLAGS) $(PLUGIN_COMPILE_FLAGS) $(CGROUP_CFLAGS)
plugins_rawexec_raw_exec_la_LDFLAGS = $(AM_LDFLAGS) $(PLUGIN_LINK_FLAGS)
plugins_rawexec_raw_exec_la_LIBADD = $(CGROUP_LIBS) -lpthread

# The raw_exec driver: tasks run as plain processes under drover-shim, with no
# isolation. It reaches processes only through the host services it is given.
plugin_LTLIBRARIES += plugins/rawexec/raw_exec.la
plugins_rawexec_raw_exec_la_SOURCES = plugins/rawexec/rawexec.c
plugins_rawexec_raw_exec_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_rawexec_raw_exec_la_CFLAGS = $(AM_CFLAGS) $(PLUGIN_COMPILE_FLAGS) $(CGROUP_CFLAGS)
plugins_rawexec_raw_exec_la_LDFLAGS = $(AM_LDFLAGS) $(PLUGIN_LINK_FLAGS)
plugins_rawexec_raw_exec_la_LIBADD = plugins/common/libplugincommon.la $(CGROUP_LIBS) -lpthread

# The exec driver: tasks isolated in namespaces with a read-only root bound
# from host directories, cgroups, an unprivileged user, reduced capabilities
# and seccomp. The plugin plans; drover-exec-init (run by drover-shim as the
# task's argv) builds the isolation and execs the command.
plugin_LTLIBRARIES += plugins/exec/exec.la
plugins_exec_exec_la_SOURCES = \
	plugins/exec/exec.c \
	plugins/exec/exec_plan.c plugins/exec/exec_plan.h \
	plugins/exec/exec_caps.c plugins/exec/exec_caps.h
plugins_exec_exec_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common \
	-DDROVER_EXEC_INIT_PATH='"$(pkglibexecdir)/drover-exec-init"'
plugins_exec_exec_la_CFLAGS = $(AM_CFLAGS) $(PLUGIN_COMPILE_FLAGS) $(CGROUP_CFLAGS) $(CAP_CFLAGS)
plugins_exec_exec_la_LDFLAGS = $(AM_LDFLAGS) $(PLUGIN_LINK_FLAGS)
plugins_exec_exec_la_LIBADD = plugins/common/libplugincommon.la $(CGROUP_LIBS) $(CAP_LIBS) \
	-lpthread

# libc, libcap and libseccomp only: it runs between the shim and every task.
pkglibexec_PROGRAMS += plugins/exec/drover-exec-init
plugins_exec_drover_exec_init_SOURCES = \
	plugins/exec/exec_init.c plugins/exec/exec_init.h \
	plugins/exec/exec_init_fs.c plugins/exec/exec_init_priv.c plugins/exec/exec_netns.c
plugins_exec_drover_exec_init_CFLAGS = $(AM_CFLAGS) $(CAP_CFLAGS) $(SECCOMP_CFLAGS)
plugins_exec_drover_exec_init_LDADD = $(CAP_LIBS) $(SECCOMP_LIBS)

# The group network's DNS block and Hostname: the plugin writes the
# resolv.conf, drover-exec-init binds it and names the UTS namespace.
plugins_exec_exec_la_SOURCES += plugins/exec/exec_dns.c plugins/exec/exec_dns.h
plugins_exec_drover_exec_init_SOURCES += plugins/exec/exec_init_dns.c

# drover-shim, the per-task supervisor: libc only (no JSON, no plugins, no
# libcurl) so that it stays small in memory while it waits for its task.
pkglibexec_PROGRAMS += host/shim/drover-shim
host_shim_drover_shim_SOURCES = \
	host/shim/shim.c host/shim/shim_clone.c host/shim/shim_clone.h \
	host/shim/shim_log.c host/shim/shim_log.h \
	host/shim/shim_fifo.c host/shim/shim_fifo.h
# Static (static-pie where the toolchain can) when configure found a static
# libc (see configure.ac): a shorter exec on every task start.
host_shim_drover_shim_LDFLAGS = $(AM_LDFLAGS) $(SHIM_LDFLAGS)

# The host side of the shim protocol: the proc_* host services.
noinst_LTLIBRARIES += host/libdroverproc.la
host_libdroverproc_la_SOURCES = host/proc.c host/proc.h
host_libdroverproc_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DDROVER_SHIM_PATH='"$(pkglibexecdir)/drover-shim"'

# drover-shim, the per-task supervisor: libc only (no JSON, no plugins, no
# libcurl) so that it stays small in memory while it waits for its task.
pkglibexec_PROGRAMS += host/shim/drover-shim
host_shim_drover_shim_SOURCES = \
	host/shim/shim.c host/shim/shim_clone.c host/shim/shim_clone.h \
	host/shim/shim_exec.c host/shim/shim_exec.h \
	host/shim/shim_log.c host/shim/shim_log.h \
	host/shim/shim_fifo.c host/shim/shim_fifo.h
# Static (static-pie where the toolchain can) when configure found a static
# libc (see configure.ac): a shorter exec on every task start.
host_shim_drover_shim_LDFLAGS = $(AM_LDFLAGS) $(SHIM_LDFLAGS)
# Against musl libc when configure found it (--enable-musl-shim, see
# configure.ac): compiled with musl's specs, linked static-pie by hand, since
# libtool would add glibc's start files and libraries.
if MUSL_SHIM
host_shim_drover_shim_CFLAGS = $(AM_CFLAGS) $(SHIM_MUSL_CFLAGS)
host_shim_drover_shim_LINK = $(CCLD) $(CFLAGS) $(SHIM_MUSL_LINK_PRE) -o $@
host_shim_drover_shim_LDADD = $(SHIM_MUSL_LINK_POST)
else
host_shim_drover_shim_CFLAGS = $(AM_CFLAGS)
host_shim_drover_shim_LINK = $(LIBTOOL) $(AM_V_lt) --tag=CC $(AM_LIBTOOLFLAGS) $(LIBTOOLFLAGS) \
	--mode=link $(CCLD) $(host_shim_drover_shim_CFLAGS) $(CFLAGS) \
	$(host_shim_drover_shim_LDFLAGS) $(LDFLAGS) -o $@
endif

# The host side of the shim protocol: the proc_* host services.
noinst_LTLIBRARIES += host/libdroverproc.la
host_libdroverproc_la_SOURCES = host/proc.c host/proc.h
host_libdroverproc_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DDROVER_SHIM_PATH='"$(pkglibexecdir)/drover-shim"'

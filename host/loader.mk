# host/loader.mk: the plugin loader (host/loader.h), a convenience library so
# that the host and the ABI tests link the same code.
noinst_LTLIBRARIES += host/libdroverloader.la
host_libdroverloader_la_SOURCES = \
	host/loader.c host/loader.h \
	host/loader_descriptor.c \
	host/loader_probe.c \
	host/loader_fingerprint.c \
	host/loader_cache.c host/loader_cache.h
host_libdroverloader_la_LIBADD = host/libdroverconf.la $(LTDL_LIBS) $(DL_LIBS)

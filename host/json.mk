# host/json.mk: JSON (yajl), value trees, schema checks and Nomad job files.
# A convenience library of its own so the host, the tests and anything else that
# reads configuration link the same code.
noinst_LTLIBRARIES += host/libdroverconf.la
host_libdroverconf_la_SOURCES = \
	host/value_tree.c host/value_tree.h \
	host/display.c host/display.h \
	host/json.c host/json_file.c host/json_write.c host/json.h \
	host/schema_check.c host/schema_check.h \
	host/jobspec.c host/jobspec_group.c host/jobspec_network.c host/jobspec_task.c host/jobspec_volumes.c \
	host/jobspec_util.c host/jobspec_util.h host/jobspec.h \
	host/strset.c host/strset.h
host_libdroverconf_la_CPPFLAGS = $(AM_CPPFLAGS) $(YAJL_CFLAGS)
host_libdroverconf_la_LIBADD = $(YAJL_LIBS) -lm

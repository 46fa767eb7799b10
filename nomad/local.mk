# nomad/local.mk: drover-nomad-driver, the bridge that serves one drover driver
# to a Nomad client as an external task-driver plugin (go-plugin over gRPC).
# Built when configure found gRPC's C core and protobuf-c (--enable-nomad-bridge).

# drover's own description of the wire protocol. The *_service.proto files
# hold the services: protoc-c's stubs are not used (the Driver service's `Init`
# would clash with protoc-c's own *_init functions), the test client generates
# its Go stubs from them.
nomad_message_protos = \
	nomad/proto/hclspec.proto nomad/proto/structs.proto nomad/proto/base.proto \
	nomad/proto/driver.proto nomad/proto/goplugin.proto nomad/proto/health.proto
nomad_service_protos = nomad/proto/base_service.proto nomad/proto/driver_service.proto
EXTRA_DIST += $(nomad_message_protos) $(nomad_service_protos)

if NOMAD_BRIDGE
nomad_generated = \
	nomad/proto/hclspec.pb-c.c nomad/proto/hclspec.pb-c.h \
	nomad/proto/structs.pb-c.c nomad/proto/structs.pb-c.h \
	nomad/proto/base.pb-c.c nomad/proto/base.pb-c.h \
	nomad/proto/driver.pb-c.c nomad/proto/driver.pb-c.h \
	nomad/proto/goplugin.pb-c.c nomad/proto/goplugin.pb-c.h \
	nomad/proto/health.pb-c.c nomad/proto/health.pb-c.h \
	nomad/proto/google/protobuf/duration.pb-c.c nomad/proto/google/protobuf/duration.pb-c.h \
	nomad/proto/google/protobuf/timestamp.pb-c.c nomad/proto/google/protobuf/timestamp.pb-c.h
BUILT_SOURCES += $(nomad_generated)
CLEANFILES += $(nomad_generated) nomad/proto/.stamp

# One protoc-c run writes every file; the stamp keeps make from running it once
# per output.
$(nomad_generated): nomad/proto/.stamp
nomad/proto/.stamp: $(nomad_message_protos)
	$(AM_V_GEN)$(MKDIR_P) nomad/proto && \
	$(PROTOC_C) --proto_path=$(srcdir)/nomad/proto --proto_path=$(PROTOBUF_PROTO_DIR) \
		--c_out=nomad/proto $(nomad_message_protos:nomad/proto/%=%) \
		google/protobuf/duration.proto google/protobuf/timestamp.proto && touch $@

# The bridge's modules, a convenience library so its unit tests link the same code.
noinst_LTLIBRARIES += nomad/libdrovernomad.la
nodist_nomad_libdrovernomad_la_SOURCES = $(nomad_generated)
nomad_libdrovernomad_la_SOURCES = \
	nomad/arena.c nomad/arena.h \
	nomad/cty_msgpack.c nomad/cty_msgpack.h \
	nomad/hclspec.c nomad/hclspec.h \
	nomad/handshake.c nomad/handshake.h \
	nomad/pb.h \
	nomad/server.c nomad/server.h \
	nomad/bridge.c nomad/bridge.h \
	nomad/base_service.c \
	nomad/driver_service.c nomad/driver_tasks.c nomad/driver_task_config.c \
	nomad/driver_network.c nomad/exec_stream.c nomad/state_dir.c nomad/output_fifo.c
nomad_libdrovernomad_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host -Inomad/proto \
	$(GRPC_CFLAGS) $(PROTOBUF_C_CFLAGS) -DDROVER_NOMAD_DATADIR='"$(drover_data_dir)/nomad"'
nomad_libdrovernomad_la_LIBADD = host/libdroverhost.la $(GRPC_LIBS) $(PROTOBUF_C_LIBS) -lutil -lpthread

pkglibexec_PROGRAMS += nomad/drover-nomad-driver
nomad_drover_nomad_driver_SOURCES = nomad/main.c
nomad_drover_nomad_driver_CPPFLAGS = $(nomad_libdrovernomad_la_CPPFLAGS) \
	-DDROVER_PLUGINDIR='"$(plugindir)"'
nomad_drover_nomad_driver_LDADD = nomad/libdrovernomad.la
endif

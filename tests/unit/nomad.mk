# tests/unit/nomad.mk: the Nomad bridge's modules (nomad/libdrovernomad.la).
if NOMAD_BRIDGE
NOMAD_UNIT_TESTS = tests/unit/test_nomad_cty_msgpack tests/unit/test_nomad_handshake
check_PROGRAMS += $(NOMAD_UNIT_TESTS)
TESTS += $(NOMAD_UNIT_TESTS)
NOMAD_UNIT_CPPFLAGS = $(nomad_libdrovernomad_la_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/nomad \
	$(CRITERION_CFLAGS)
tests_unit_test_nomad_cty_msgpack_SOURCES = tests/unit/test_nomad_cty_msgpack.c
tests_unit_test_nomad_cty_msgpack_CPPFLAGS = $(NOMAD_UNIT_CPPFLAGS)
tests_unit_test_nomad_cty_msgpack_LDADD = nomad/libdrovernomad.la $(CRITERION_LIBS)
tests_unit_test_nomad_handshake_SOURCES = tests/unit/test_nomad_handshake.c
tests_unit_test_nomad_handshake_CPPFLAGS = $(NOMAD_UNIT_CPPFLAGS)
tests_unit_test_nomad_handshake_LDADD = nomad/libdrovernomad.la $(CRITERION_LIBS)
endif
EXTRA_DIST += tests/unit/test_nomad_cty_msgpack.c tests/unit/test_nomad_handshake.c

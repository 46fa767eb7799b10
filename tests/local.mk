# Shared by every test program: where the freshly built pieces are, and a plugin
# directory holding the in-tree drivers exactly as they would be installed.
AM_TESTS_ENVIRONMENT = \
	DROVER_SHIM='$(abs_top_builddir)/host/shim/drover-shim'; export DROVER_SHIM; \
	DROVER_TEST_PLUGIN_DIR='$(abs_top_builddir)/tests/plugins.d'; export DROVER_TEST_PLUGIN_DIR; \
	DROVER_TEST_DROVER='$(abs_top_builddir)/host/drover'; export DROVER_TEST_DROVER; \
	DROVER_TEST_SRCDIR='$(abs_top_srcdir)'; export DROVER_TEST_SRCDIR;

EXTRA_DIST += tests/test_support.h tests/test_wait.h tests/plugin_fixture.h tests/test_files.h \
	tests/criterion_serial_main.h

tests/plugins.d/.stamp: $(plugin_LTLIBRARIES)
	$(AM_V_GEN)rm -rf tests/plugins.d && $(MKDIR_P) tests/plugins.d && \
	for la in $(plugin_LTLIBRARIES); do \
		so=`dirname $$la`/.libs/`basename $$la .la`.so; \
		cp $$so tests/plugins.d/ || exit 1; \
	done && touch $@

# The build tree is usable as it is: a drover run from it loads its plugins
# from here (host/build_tree.c), so `make` builds it, not only `make check`.
all-local: tests/plugins.d/.stamp

clean-local: clean-test-plugins
clean-test-plugins:
	rm -rf tests/plugins.d
.PHONY: clean-test-plugins

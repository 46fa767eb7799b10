# Issue 11, attack 8: job text that would drive the operator's terminal
# (escape sequences, forged lines) is shown escaped by run and status.
check_PROGRAMS += tests/security/test_terminal_text
TESTS += tests/security/test_terminal_text
tests_security_test_terminal_text_SOURCES = \
	tests/security/test_terminal_text.c \
	tests/integration/cli_harness.c tests/integration/cli_harness.h
tests_security_test_terminal_text_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(CRITERION_CFLAGS)
tests_security_test_terminal_text_LDADD = $(CRITERION_LIBS)
EXTRA_tests_security_test_terminal_text_DEPENDENCIES = host/drover host/shim/drover-shim \
	tests/plugins.d/.stamp

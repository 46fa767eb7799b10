# The cgroup v2 stage: the drivers' cgroup tests inside a qemu VM booted from
# Debian's kernel (tests/vm/drover-vm-run.sh), where cgroup v2 has every
# controller; this host binds them all to v1. Not part of `make check` (a VM
# boot under software emulation costs minutes): `make check-vm`, which .ci/run
# runs once. Exit 77 (skip) without qemu or the kernel package, a failure under
# DROVER_TEST_STRICT=1.
EXTRA_DIST += tests/vm/drover-vm-run.sh tests/vm/cgroup-v2-suite.sh

check-vm: $(check_PROGRAMS) tests/plugins.d/.stamp $(pkglibexec_PROGRAMS) $(plugin_LTLIBRARIES)
	@$(AM_TESTS_ENVIRONMENT) rc=0; $(srcdir)/tests/vm/drover-vm-run.sh -t 600 -- \
		$(abs_srcdir)/tests/vm/cgroup-v2-suite.sh $(abs_top_builddir) || rc=$$?; \
	if test $$rc = 77; then echo "SKIP: check-vm (see above)"; exit 0; fi; exit $$rc
.PHONY: check-vm

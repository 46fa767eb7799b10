# The Nomad bridge against Debian's go-plugin client (tests/nomad/client): runs
# in every build; without the bridge (configure found no gRPC) or without Go it
# skips, and under DROVER_TEST_STRICT=1 (CI) that is a failure.
TESTS += tests/nomad/test_nomad_bridge.sh
EXTRA_DIST += tests/nomad/test_nomad_bridge.sh tests/nomad/client/main.go

# A shell test has no _DEPENDENCIES (and automake owns its .log rule): the
# plugin directory it loads from is built before any test runs.
check_DATA = tests/plugins.d/.stamp

# The Go build (GOPATH and build cache) the test keeps between runs.
clean-local: clean-nomad-go
clean-nomad-go:
	-chmod -R u+w tests/nomad/go 2>/dev/null
	rm -rf tests/nomad/go
.PHONY: clean-nomad-go

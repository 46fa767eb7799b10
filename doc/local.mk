# Manual pages, example jobs and agent configs.
dist_man_MANS += doc/drover.1
EXTRA_DIST += doc/examples/hello.json doc/examples/agent.json doc/security.md

# `make example`: runs doc/examples/hello.json with the freshly built drover,
# its drivers and drover-shim, keeping its data in ./example-data.
example: host/drover host/shim/drover-shim tests/plugins.d/.stamp
	rm -rf example-data
	DROVER_SHIM='$(abs_top_builddir)/host/shim/drover-shim' \
	$(abs_top_builddir)/host/drover run \
		-config $(abs_top_srcdir)/doc/examples/agent.json \
		-plugin-dir $(abs_top_builddir)/tests/plugins.d \
		-data-dir $(abs_top_builddir)/example-data \
		$(abs_top_srcdir)/doc/examples/hello.json
	@for f in example-data/alloc/*/alloc/logs/*.stdout.0; do \
		echo "== $$f"; cat "$$f"; done
.PHONY: example

clean-local: clean-example
clean-example:
	rm -rf example-data
.PHONY: clean-example

# The SDK guide, the agent config reference and the per-driver references.
dist_man_MANS += doc/drover-sdk.7 doc/drover-agent-config.5
driverdocdir = $(docdir)/drivers
dist_driverdoc_DATA = doc/drivers/raw_exec.md doc/drivers/exec.md doc/drivers/docker.md
dist_doc_DATA += doc/nomad.md doc/networking.md

# The example third-party driver, installed where drover-sdk(7) and
# `pkg-config --variable=exampledir drover-sdk` point a driver author.
exampledriverdir = $(docdir)/examples/driver
dist_exampledriver_DATA = doc/examples/driver/Makefile doc/examples/driver/README.md \
	doc/examples/driver/echo_driver.c

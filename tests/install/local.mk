# The installed layout, and the example out-of-tree driver (doc/examples/driver)
# built against it through pkg-config: `make install DESTDIR=<tmp>` of this very
# build, run from a shell test. The test finds the build and source trees from
# AM_TESTS_ENVIRONMENT (tests/local.mk).
TESTS += tests/install/test_install.sh tests/install/test_readme_tour.sh
EXTRA_DIST += tests/install/test_install.sh tests/install/test_readme_tour.sh \
	doc/examples/counter.json

# tests/fuzz/local.mk: libFuzzer targets (./configure --enable-fuzzing; see
# tests/fuzz/README.md). They are built by their own rules with $(FUZZ_CC)
# (clang) from the sources the host and the docker driver are built from.

# The job file code is taken from host/libdroverconf.la's own list (its
# headers are dropped in the recipe), so that a file added there is fuzzed
# and linked without being named twice.
FUZZ_VALIDATE_SRCS = tests/fuzz/fuzz_validate.c $(host_libdroverconf_la_SOURCES) \
	host/interpolate.c host/util.c host/task_limits.c plugins/docker/docker_schema.c
FUZZ_DOCKER_SRCS = tests/fuzz/fuzz_docker_answers.c \
	plugins/docker/docker_state.c plugins/docker/docker_http.c plugins/docker/docker_curl.c plugins/docker/docker_plain.c \
	plugins/docker/docker_json.c \
	plugins/docker/docker_monitor.c plugins/docker/docker_logstream.c
FUZZ_SEEDS = \
	tests/fuzz/seeds/validate/bad-structure.json \
	tests/fuzz/seeds/validate/bare-batch.json \
	tests/fuzz/seeds/validate/docker.json \
	tests/fuzz/seeds/validate/hello.json \
	tests/fuzz/seeds/validate/nomad-output.json \
	tests/fuzz/seeds/validate/strict-text.json \
	tests/fuzz/seeds/docker_answers/events \
	tests/fuzz/seeds/docker_answers/inspect \
	tests/fuzz/seeds/docker_answers/logs-multiplexed \
	tests/fuzz/seeds/docker_answers/logs-tty \
	tests/fuzz/seeds/docker_answers/version
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/fuzz_validate.c tests/fuzz/fuzz_docker_answers.c \
	$(FUZZ_SEEDS)

# How long `make fuzz-run` gives each target, in seconds.
FUZZ_SECONDS = 20
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -D_GNU_SOURCE -I$(top_builddir) -I$(top_srcdir)/sdk/include \
	-I$(top_srcdir)/host -I$(top_srcdir)/plugins/docker

if FUZZING
FUZZ_TARGETS = tests/fuzz/fuzz_validate tests/fuzz/fuzz_docker_answers
CLEANFILES += $(FUZZ_TARGETS)

tests/fuzz/fuzz_validate: $(FUZZ_VALIDATE_SRCS) config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)srcs=; for f in $(FUZZ_VALIDATE_SRCS); do \
		case $$f in *.c) srcs="$$srcs $(srcdir)/$$f";; esac; \
	done; \
	$(FUZZ_CC) $(FUZZ_FLAGS) $(YAJL_CFLAGS) -o $@ $$srcs $(YAJL_LIBS) -lm

tests/fuzz/fuzz_docker_answers: $(FUZZ_DOCKER_SRCS) config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) $(YAJL_CFLAGS) $(CURL_CFLAGS) -o $@ \
		$(addprefix $(srcdir)/,$(FUZZ_DOCKER_SRCS)) $(YAJL_LIBS) $(CURL_LIBS) $(DL_LIBS) -lpthread

fuzz: $(FUZZ_TARGETS)

# A bounded run of each target from the seeds in the tree; what it finds new
# goes to tests/fuzz/corpus-<target> in the build tree, never into the source
# tree. A crash, a leak, a timeout or an out-of-memory fails the run and
# leaves the input as crash-*/leak-*/timeout-*/oom-* in the build directory.
fuzz-run: $(FUZZ_TARGETS)
	@set -e; for t in validate docker_answers; do \
		$(MKDIR_P) tests/fuzz/corpus-$$t; \
		echo "== fuzzing $$t for $(FUZZ_SECONDS) s"; \
		./tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-max_len=65536 -print_final_stats=1 \
			tests/fuzz/corpus-$$t $(srcdir)/tests/fuzz/seeds/$$t; \
	done
else
fuzz fuzz-run:
	@echo "the fuzz targets are not configured: run ./configure --enable-fuzzing (needs clang)" >&2; exit 1
endif
.PHONY: fuzz fuzz-run

clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/corpus-validate tests/fuzz/corpus-docker_answers
.PHONY: clean-fuzz

# bench/local.mk: `make bench`, the benchmarks of issue 7. Not part of `make
# check` and not built by `make`: the programs are EXTRA_PROGRAMS, built only
# as prerequisites of `bench`. Each program measures its figures against their
# baselines and writes raw samples to bench/results/<program>.tsv;
# bench/bench_report turns them into $(srcdir)/doc/performance.md, listing every
# figure of bench/figures.c, measured or "not measured: <reason>", followed by
# bench/notes.md (hand-written: why targets were missed). Knobs (environment):
# BENCH_START_REPEAT, BENCH_RUN_REPEAT, BENCH_MEM_TASKS, BENCH_LOG_BYTES,
# BENCH_LOG_REPEAT, BENCH_PLUGINS_REPEAT, BENCH_PLUGINS_CLI_REPEAT,
# BENCH_FLEET_TASKS, BENCH_FLEET_REPEAT, BENCH_IDLE_SECONDS, BENCH_EXEC_REPEAT,
# BENCH_EXEC_DISK_REPEAT, BENCH_EXEC_BYTE_COPY, BENCH_DOCKER_REPEAT,
# BENCH_AGENT_IDLE_SECONDS, BENCH_READOPT_TASKS, BENCH_READOPT_REPEAT,
# BENCH_VM_START_REPEAT (bench_start's runs inside the cgroup v2 test VM, 50);
# BENCH_NOTE adds a line about the machine. bench_exec needs root, cgroups and
# crun; bench_docker a dockerd (scripts/test-services.sh start).
#
# Adding a figure: one more program here
# (EXTRA_PROGRAMS, bench_programs and its _SOURCES/_CPPFLAGS/_LDADD lines) that
# writes results for the figure's id in bench/figures.c.

bench_programs = \
	bench/bench_start \
	bench/bench_memory \
	bench/bench_logs \
	bench/bench_plugins \
	bench/bench_fleet \
	bench/bench_exec \
	bench/bench_docker \
	bench/bench_agent \
	bench/bench_nomad
EXTRA_PROGRAMS = bench/bench_start bench/bench_memory bench/bench_logs bench/bench_plugins \
	bench/bench_fleet bench/bench_exec bench/bench_docker bench/bench_agent bench/bench_nomad \
	bench/bench_report
CLEANFILES += $(EXTRA_PROGRAMS)
EXTRA_DIST += doc/performance.md bench/notes.md

bench_common_sources = \
	bench/bench.h bench/bench_results.c bench/bench_proc.c \
	bench/bench_jobs.c bench/bench_jobs.h \
	bench/bench_rawexec.c bench/bench_rawexec.h \
	bench/bench_driver.c bench/bench_driver.h
bench_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/host -I$(top_srcdir)/bench \
	-DBENCH_RAWEXEC_SO_DEFAULT='"$(abs_top_builddir)/plugins/rawexec/.libs/raw_exec.so"' \
	-DBENCH_SHIM_DEFAULT='"$(abs_top_builddir)/host/shim/drover-shim"' \
	-DBENCH_DROVER_DEFAULT='"$(abs_top_builddir)/host/drover"' \
	-DBENCH_PLUGIN_DIR_DEFAULT='"$(abs_top_builddir)/tests/plugins.d"' \
	-DBENCH_EXEC_SO_DEFAULT='"$(abs_top_builddir)/plugins/exec/.libs/exec.so"' \
	-DBENCH_EXEC_INIT_DEFAULT='"$(abs_top_builddir)/plugins/exec/drover-exec-init"' \
	-DBENCH_DOCKER_SO_DEFAULT='"$(abs_top_builddir)/plugins/docker/.libs/docker.so"' \
	-DBENCH_DOCKER_LOGGER_DEFAULT='"$(abs_top_builddir)/plugins/docker/drover-docker-logger"' \
	-DBENCH_NOMAD_BRIDGE_DEFAULT='"$(abs_top_builddir)/nomad/drover-nomad-driver"'
bench_ldadd = host/libdroverhost.la $(DL_LIBS)

bench_bench_start_SOURCES = bench/bench_start.c $(bench_common_sources)
bench_bench_start_CPPFLAGS = $(bench_cppflags)
bench_bench_start_LDADD = $(bench_ldadd)

bench_bench_memory_SOURCES = bench/bench_memory.c $(bench_common_sources)
bench_bench_memory_CPPFLAGS = $(bench_cppflags)
bench_bench_memory_LDADD = $(bench_ldadd)

bench_bench_logs_SOURCES = bench/bench_logs.c $(bench_common_sources)
bench_bench_logs_CPPFLAGS = $(bench_cppflags)
bench_bench_logs_LDADD = $(bench_ldadd)

bench_bench_plugins_SOURCES = bench/bench_plugins.c $(bench_common_sources)
bench_bench_plugins_CPPFLAGS = $(bench_cppflags) $(YAJL_CFLAGS)
bench_bench_plugins_LDADD = $(bench_ldadd)

bench_bench_fleet_SOURCES = bench/bench_fleet.c $(bench_common_sources)
bench_bench_fleet_CPPFLAGS = $(bench_cppflags)
bench_bench_fleet_LDADD = $(bench_ldadd)

bench_bench_exec_SOURCES = bench/bench_exec.c $(bench_common_sources)
bench_bench_exec_CPPFLAGS = $(bench_cppflags)
bench_bench_exec_LDADD = $(bench_ldadd)

bench_bench_docker_SOURCES = bench/bench_docker.c $(bench_common_sources)
bench_bench_docker_CPPFLAGS = $(bench_cppflags) $(CURL_CFLAGS)
bench_bench_docker_LDADD = $(bench_ldadd) $(CURL_LIBS)

bench_bench_agent_SOURCES = bench/bench_agent.c $(bench_common_sources)
bench_bench_agent_CPPFLAGS = $(bench_cppflags)
bench_bench_agent_LDADD = $(bench_ldadd)

bench_bench_nomad_SOURCES = bench/bench_nomad.c $(bench_common_sources)
bench_bench_nomad_CPPFLAGS = $(bench_cppflags)
bench_bench_nomad_LDADD = $(bench_ldadd)

bench_bench_report_SOURCES = bench/bench_report.c bench/figures.c bench/figures.h
bench_bench_report_LDADD = -lm

if NOMAD_BRIDGE
bench_nomad_bridge = nomad/drover-nomad-driver
else
bench_nomad_bridge =
endif
bench: $(bench_programs) bench/bench_report host/drover host/shim/drover-shim \
		tests/plugins.d/.stamp plugins/exec/drover-exec-init plugins/docker/drover-docker-logger \
		$(bench_nomad_bridge)
	rm -rf bench/results && $(MKDIR_P) bench/results
	@for p in $(bench_programs); do \
		echo "== $$p"; \
		BENCH_RESULTS_DIR='$(abs_top_builddir)/bench/results' ./$$p || exit 1; \
	done
	@echo "== bench/bench_start on cgroup v2, inside the test VM (tests/vm)"
	-BENCH_START_REPEAT=$${BENCH_VM_START_REPEAT:-50} $(srcdir)/tests/vm/drover-vm-run.sh \
		-t 900 -e BENCH_START_REPEAT -o '$(abs_top_builddir)/bench/results' -- \
		sh -c 'BENCH_RESULTS_DIR=$$DROVER_VM_OUT exec ./bench/bench_start'
	./bench/bench_report bench/results $(srcdir)/doc/performance.md $(srcdir)/bench/notes.md
	@echo "wrote $(srcdir)/doc/performance.md"
.PHONY: bench

clean-local: clean-bench
clean-bench:
	rm -rf bench/results
.PHONY: clean-bench

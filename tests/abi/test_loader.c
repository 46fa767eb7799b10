/* The plugin loader against real fixture plugins: real .so files copied into
 * fresh plugin directories, opened with the real dynamic loader. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "test_files.h"
#include "test_support.h"

/* ------------------------------------------------------------------ setup */

static char plugin_dir[PATH_MAX];

static void make_plugin_dir(void)
{
	strcpy(plugin_dir, "/tmp/drover-abi-XXXXXX");
	cr_assert_not_null(mkdtemp(plugin_dir), "mkdtemp: %s", strerror(errno));
}

static void remove_plugin_dir(void)
{
	if (plugin_dir[0])
		test_rm_tree(plugin_dir);
}

TestSuite(loader, .init = make_plugin_dir, .fini = remove_plugin_dir);
TestSuite(probe, .init = make_plugin_dir, .fini = remove_plugin_dir);

static char *path_in(const char *dir, const char *name)
{
	char *path = NULL;
	cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
	return path;
}

/* Copies the built fixture `fixture`.so into the plugin dir as `as`. */
static void copy_fixture_to(const char *fixture, const char *dir, const char *as)
{
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "%s/%s.so", FIXTURE_LIBS_DIR, fixture);
	char *dst = path_in(dir, as);
	test_copy_file(src, dst);
	free(dst);
}

static void copy_fixture(const char *fixture)
{
	char as[128];
	snprintf(as, sizeof(as), "%s.so", fixture);
	copy_fixture_to(fixture, plugin_dir, as);
}

/* Whether `path` is mapped into this process: a closed plugin is not. */
static int is_mapped(const char *path)
{
	FILE *f = fopen("/proc/self/maps", "r");
	cr_assert_not_null(f);
	char line[PATH_MAX + 256];
	int found = 0;
	size_t n = strlen(path);
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, path);
		found = p && (p[n] == '\n' || p[n] == '\0' || p[n] == ' ');
	}
	fclose(f);
	return found;
}

/* ------------------------------------------------------- the host services */

/* "<driver>: <message>" for each log line, checking on the way that
 * host_data is the drover_plugin of the plugin that logs. */
static char log_lines[32][256];
static size_t log_count;

static void test_log(void *host_data, drover_log_level level, const char *message)
{
	(void)level;
	const drover_plugin *p = host_data;
	cr_assert_not_null(p, "host_data is NULL in a log call");
	cr_assert_eq(p->services.host_data, p, "host_data does not point at the plugin");
	if (log_count < 32)
		snprintf(log_lines[log_count++], sizeof(log_lines[0]), "%s: %s", p->desc->name, message);
}

static int logged(const char *line)
{
	for (size_t i = 0; i < log_count; i++)
		if (strcmp(log_lines[i], line) == 0)
			return 1;
	return 0;
}

static const drover_host test_services = {
	.struct_size = sizeof(drover_host),
	.abi_major = DROVER_ABI_MAJOR,
	.abi_minor = DROVER_ABI_MINOR,
	.log = test_log,
};

/* Options the operator gave: {"greeting": "hi"} for good when `with_options`. */
static const char *const greeting_key[] = {"greeting"};
static const drover_value greeting_value[] = {
	{.type = DROVER_VALUE_STRING, .u.string = {"hi", 2}},
};
static const drover_value good_options = {
	.type = DROVER_VALUE_OBJECT,
	.u.object = {1, greeting_key, greeting_value},
};

static int options_calls;

static const drover_value *test_options(void *data, const char *name)
{
	options_calls++;
	return (data && strcmp(name, "good") == 0) ? &good_options : NULL;
}

typedef struct loaded {
	drover_plugin_set set;
	drover_errlist errors;
	int rc;
} loaded;

static loaded load_with(const char *dir, int with_options)
{
	loaded l = {.rc = 0};
	l.rc = drover_loader_load_dir(dir, &test_services, test_options,
	                              with_options ? (void *)&good_options : NULL, &l.set, &l.errors);
	return l;
}

static void unload(loaded *l)
{
	drover_plugin_set_clear(&l->set);
	drover_errlist_clear(&l->errors);
}

static const char *error_for(const loaded *l, const char *file)
{
	char *prefix = path_in(plugin_dir, file);
	const char *found = NULL;
	size_t n = strlen(prefix);
	for (size_t i = 0; i < l->errors.count; i++)
		if (strncmp(l->errors.lines[i], prefix, n) == 0 && l->errors.lines[i][n] == ':')
			found = l->errors.lines[i];
	free(prefix);
	return found;
}

/* ------------------------------------------------------ fingerprint probing */

typedef struct attrs {
	char keys[16][64];
	char values[16][128];
	size_t count;
} attrs;

static void record_attribute(void *sink, const char *key, const char *value)
{
	attrs *a = sink;
	cr_assert_lt(a->count, 16);
	snprintf(a->keys[a->count], sizeof(a->keys[0]), "%s", key);
	snprintf(a->values[a->count], sizeof(a->values[0]), "%s", value);
	a->count++;
}

static const char *attribute(const attrs *a, const char *key)
{
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->keys[i], key) == 0)
			return a->values[i];
	return NULL;
}

static attrs fingerprint(drover_plugin *p)
{
	attrs a = {0};
	drover_fingerprint fp = {
		.struct_size = sizeof(fp),
		.sink = &a,
		.set_attribute = record_attribute,
	};
	drover_err err = {{0}};
	cr_assert_eq(p->desc->fingerprint(p->ctx, &fp, &err), 0, "fingerprint: %s", err.message);
	cr_assert_eq(fp.health, DROVER_HEALTH_HEALTHY);
	return a;
}

/* --------------------------------------------------------- plugins that load */

Test(loader, good_plugin_loads_with_schema_defaults_when_no_options_given)
{
	copy_fixture("good");
	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.rc, 0);
	cr_assert_eq(l.errors.count, 0, "unexpected error: %s", l.errors.count ? l.errors.lines[0] : "");
	cr_assert_eq(l.set.count, 1);

	drover_plugin *p = drover_plugin_set_find(&l.set, "good");
	cr_assert_not_null(p);
	char *expected_path = path_in(plugin_dir, "good.so");
	cr_assert_str_eq(p->path, expected_path);
	cr_assert_eq(p->desc_size, sizeof(drover_driver));
	cr_assert(DROVER_PLUGIN_HAS(p, periodic));
	cr_assert(DROVER_PLUGIN_HAS(p, set_config));
	cr_assert_not_null(p->ctx, "init's context was not kept");
	cr_assert(logged("good: init"), "init did not run, or its log line was not tagged");
	cr_assert_eq(options_calls, 1);

	attrs a = fingerprint(p);
	cr_assert_str_eq(attribute(&a, "driver.good.set_config_calls"), "1");
	cr_assert_str_eq(attribute(&a, "driver.good.greeting"), "hello");
	cr_assert_str_eq(attribute(&a, "driver.good.count"), "3");
	cr_assert_str_eq(attribute(&a, "driver.good.host_abi"), "1.3");

	cr_assert(is_mapped(expected_path));
	unload(&l);
	cr_assert(logged("good: fini"), "plugin_set_clear did not call fini");
	cr_assert_not(is_mapped(expected_path), "plugin_set_clear did not close the module");
	cr_assert_eq(l.set.count, 0);
	cr_assert_null(l.set.plugins);
	free(expected_path);
}

Test(loader, good_plugin_gets_operator_options_with_defaults_filled_in)
{
	copy_fixture("good");
	loaded l = load_with(plugin_dir, 1);
	cr_assert_eq(l.set.count, 1);
	attrs a = fingerprint(l.set.plugins[0]);
	cr_assert_str_eq(attribute(&a, "driver.good.greeting"), "hi");
	cr_assert_str_eq(attribute(&a, "driver.good.count"), "3");
	cr_assert_str_eq(attribute(&a, "driver.good.set_config_calls"), "1");
	unload(&l);
}

Test(loader, older_minor_plugin_loads_and_methods_beyond_its_size_are_absent)
{
	copy_fixture("old_minor");
	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.errors.count, 0, "unexpected error: %s", l.errors.count ? l.errors.lines[0] : "");
	drover_plugin *p = drover_plugin_set_find(&l.set, "old_minor");
	cr_assert_not_null(p);
	cr_assert_eq(p->desc_size, offsetof(drover_driver, periodic));
	/* The fixture's memory holds a non-NULL periodic: only the size hides it. */
	cr_assert_not_null(p->desc->periodic);
	cr_assert_not(DROVER_PLUGIN_HAS(p, periodic));
	cr_assert(DROVER_PLUGIN_HAS(p, destroy));
	cr_assert_not(DROVER_PLUGIN_HAS(p, set_config));
	unload(&l);
}

Test(loader, symlink_to_a_plugin_loads_under_the_link_name)
{
	char *elsewhere = path_in(plugin_dir, "elsewhere");
	cr_assert_eq(mkdir(elsewhere, 0755), 0);
	copy_fixture_to("good", elsewhere, "good.so");
	char *target = path_in(elsewhere, "good.so");
	char *link = path_in(plugin_dir, "alias.so");
	cr_assert_eq(symlink(target, link), 0);

	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.errors.count, 0, "unexpected error: %s", l.errors.count ? l.errors.lines[0] : "");
	cr_assert_eq(l.set.count, 1);
	cr_assert_str_eq(l.set.plugins[0]->path, link);
	cr_assert_str_eq(l.set.plugins[0]->desc->name, "good");
	unload(&l);
	free(elsewhere);
	free(target);
	free(link);
}

Test(loader, non_plugin_entries_are_skipped_silently)
{
	static const char *const files[] = {"README", "foo.la", "foo.so.bak", ".so", "notes.txt"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = path_in(plugin_dir, files[i]);
		FILE *f = fopen(p, "w");
		cr_assert_not_null(f);
		fputs("not a plugin\n", f);
		fclose(f);
		free(p);
	}
	char *sub = path_in(plugin_dir, "subdir");
	char *sub_so = path_in(plugin_dir, "dir.so");
	cr_assert_eq(mkdir(sub, 0755), 0);
	cr_assert_eq(mkdir(sub_so, 0755), 0);
	/* A plugin inside a subdirectory is not loaded: the scan is flat. */
	copy_fixture_to("good", sub, "good.so");
	char *link_dir = path_in(plugin_dir, "linked_dir.so");
	cr_assert_eq(symlink(sub, link_dir), 0);
	copy_fixture("old_minor");

	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.rc, 0);
	cr_assert_eq(l.errors.count, 0, "unexpected error: %s", l.errors.count ? l.errors.lines[0] : "");
	cr_assert_eq(l.set.count, 1);
	cr_assert_str_eq(l.set.plugins[0]->desc->name, "old_minor");
	unload(&l);
	free(sub);
	free(sub_so);
	free(link_dir);
}

/* ----------------------------------------------------------- refused plugins */

/* Loads `fixture` next to good and checks that it alone is refused, with one
 * error line naming its file and containing every one of `expected`, and that
 * nothing of it stays mapped. */
static void expect_refused(const char *fixture, const char *const *expected)
{
	char file[128];
	snprintf(file, sizeof(file), "%s.so", fixture);
	copy_fixture(fixture);
	copy_fixture("good");

	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.rc, 0);
	cr_assert_eq(l.set.count, 1, "%s: expected only good to load, %zu loaded", fixture, l.set.count);
	cr_assert_str_eq(l.set.plugins[0]->desc->name, "good", "good did not load next to %s", fixture);
	cr_assert_eq(l.errors.count, 1, "%s: expected one error line, got %zu", fixture, l.errors.count);
	const char *line = error_for(&l, file);
	cr_assert_not_null(line, "the error line does not start with the plugin's path: %s",
	                   l.errors.lines[0]);
	for (size_t i = 0; expected[i]; i++)
		cr_assert_not_null(strstr(line, expected[i]), "%s: \"%s\" not in the message: %s",
		                   fixture, expected[i], line);
	char *path = path_in(plugin_dir, file);
	cr_assert_not(is_mapped(path), "%s is still mapped after being refused", file);
	free(path);
	unload(&l);
}

#define REFUSED(fixture, ...)                                                                 \
	do {                                                                                  \
		const char *const expected[] = {__VA_ARGS__, NULL};                           \
		expect_refused(fixture, expected);                                            \
	} while (0)

Test(loader, newer_minor_is_refused_asking_to_upgrade_drover)
{
	REFUSED("newer_minor", "built for ABI 1.4, newer than this host's 1.3: upgrade drover");
}

Test(loader, other_major_descriptor_is_refused_asking_to_rebuild)
{
	REFUSED("other_major", "built for ABI 2.0, this host speaks 1.3: rebuild the plugin against drover-sdk 1.x");
}

Test(loader, other_major_entry_symbol_is_recognised)
{
	REFUSED("entry_v2_only", "built for ABI 2 ", "drover_driver_entry_v2", "this host speaks 1.3");
}

Test(loader, shared_object_without_entry_symbol_is_refused)
{
	REFUSED("no_entry", "no entry symbol drover_driver_entry_v1: not a drover driver plugin, or "
	                    "built for another ABI major (this host speaks ABI 1.3)");
}

Test(loader, zero_struct_size_is_refused)
{
	REFUSED("size_zero", "struct_size is 0", "plugin claims ABI 1.3", "this host speaks 1.3");
}

Test(loader, descriptor_too_small_for_the_required_methods_is_refused)
{
	char size[64];
	snprintf(size, sizeof(size), "descriptor size %zu is smaller than",
	         offsetof(drover_driver, destroy));
	REFUSED("size_small", size, "plugin claims ABI 1.3", "this host speaks 1.3");
}

Test(loader, descriptor_larger_than_its_minor_allows_is_refused)
{
	char size[128];
	snprintf(size, sizeof(size), "descriptor size %zu larger than this host's %zu for ABI 1.3",
	         sizeof(drover_driver) + 64, sizeof(drover_driver));
	REFUSED("size_large", size, "this host speaks 1.3");
}

Test(loader, missing_required_method_is_named)
{
	REFUSED("missing_method", "no `start` method", "plugin ABI 1.3, this host speaks 1.3");
}

Test(loader, invalid_driver_name_is_refused)
{
	REFUSED("bad_name", "driver name \"Bad-Name\" is not made of [a-z0-9_]", "plugin ABI 1.3",
	        "this host speaks 1.3");
}

Test(loader, init_failure_shows_the_plugin_message_and_closes_it)
{
	REFUSED("init_fails", "init failed: cannot reach the test frobnicator at /dev/null");
}

Test(loader, invalid_plugin_options_are_refused_after_fini)
{
	REFUSED("bad_config", "plugin \"bad_config\" config", "endpoint");
	cr_assert(logged("bad_config: fini"), "fini was not called for the refused bad_config");
}

Test(loader, missing_shared_library_is_named)
{
	REFUSED("needs_missing_lib", "cannot load the plugin", "libdroverabsent");
}

Test(loader, unresolved_symbol_fails_at_load_and_is_named)
{
	REFUSED("unresolved_symbol", "cannot load the plugin", "drover_fixture_defined_nowhere");
}

Test(loader, host_binds_immediately_even_without_z_now)
{
	REFUSED("lazy_unresolved", "cannot load the plugin", "drover_fixture_defined_nowhere");
}

Test(loader, file_that_is_no_shared_object_is_refused)
{
	char *p = path_in(plugin_dir, "text.so");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs("#!/bin/sh\necho not a plugin\n", f);
	fclose(f);
	copy_fixture("good");
	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.set.count, 1);
	cr_assert_eq(l.errors.count, 1);
	const char *line = error_for(&l, "text.so");
	cr_assert_not_null(line, "no line for text.so: %s", l.errors.lines[0]);
	cr_assert_not_null(strstr(line, "cannot load the plugin: "), "%s", line);
	unload(&l);
	free(p);
}

Test(loader, broken_symlink_named_so_is_reported)
{
	char *link = path_in(plugin_dir, "gone.so");
	cr_assert_eq(symlink("/nonexistent/drover/gone.so", link), 0);
	copy_fixture("good");
	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.set.count, 1);
	cr_assert_eq(l.errors.count, 1);
	const char *line = error_for(&l, "gone.so");
	cr_assert_not_null(line, "no line for gone.so: %s", l.errors.lines[0]);
	cr_assert_not_null(strstr(line, "broken symbolic link to \"/nonexistent/drover/gone.so\""), "%s", line);
	unload(&l);
	free(link);
}

Test(loader, duplicate_driver_name_keeps_the_first_and_names_both_files)
{
	copy_fixture("dup_a");
	copy_fixture("dup_b");
	loaded l = load_with(plugin_dir, 0);
	cr_assert_eq(l.set.count, 1);
	char *first = path_in(plugin_dir, "dup_a.so");
	cr_assert_str_eq(l.set.plugins[0]->path, first);
	cr_assert_eq(l.errors.count, 1);
	const char *line = error_for(&l, "dup_b.so");
	cr_assert_not_null(line, "no line for dup_b.so: %s", l.errors.lines[0]);
	cr_assert_not_null(strstr(line, "driver name \"dup\" is already provided by "), "%s", line);
	cr_assert_not_null(strstr(line, first), "the first file is not named: %s", line);
	char *second = path_in(plugin_dir, "dup_b.so");
	cr_assert_not(is_mapped(second));
	unload(&l);
	free(first);
	free(second);
}

Test(loader, every_fixture_at_once_loads_exactly_the_good_ones)
{
	static const char *const refused[] = {
		"newer_minor", "other_major", "entry_v2_only", "no_entry", "size_zero",
		"size_small", "size_large", "missing_method", "bad_name", "dup_b", "init_fails",
		"bad_config", "needs_missing_lib", "unresolved_symbol", "lazy_unresolved",
	};
	static const char *const good[] = {"good", "old_minor", "dup_a"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		copy_fixture(refused[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		copy_fixture(good[i]);

	loaded l = load_with(plugin_dir, 1);
	cr_assert_eq(l.rc, 0);
	cr_assert_eq(l.set.count, 3);
	cr_assert_not_null(drover_plugin_set_find(&l.set, "good"));
	cr_assert_not_null(drover_plugin_set_find(&l.set, "old_minor"));
	cr_assert_not_null(drover_plugin_set_find(&l.set, "dup"));
	cr_assert_null(drover_plugin_set_find(&l.set, "newer_minor"));
	cr_assert_eq(l.errors.count, sizeof(refused) / sizeof(refused[0]));
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char file[128];
		snprintf(file, sizeof(file), "%s.so", refused[i]);
		cr_assert_not_null(error_for(&l, file), "no error line for %s", file);
	}
	/* Loaded in name order. */
	for (size_t i = 1; i < l.set.count; i++)
		cr_assert_lt(strcmp(l.set.plugins[i - 1]->path, l.set.plugins[i]->path), 0);
	unload(&l);
}

Test(loader, unreadable_directory_is_enoent_naming_it)
{
	char *missing = path_in(plugin_dir, "no-such-dir");
	loaded l = load_with(missing, 0);
	cr_assert_eq(l.rc, -ENOENT);
	cr_assert_eq(l.set.count, 0);
	cr_assert_eq(l.errors.count, 1);
	cr_assert_not_null(strstr(l.errors.lines[0], missing), "%s", l.errors.lines[0]);
	cr_assert_not_null(strstr(l.errors.lines[0], "cannot read the plugin directory"), "%s",
	                   l.errors.lines[0]);
	unload(&l);
	free(missing);
}

/* ------------------------------------------------------- drover_loader_open */

Test(loader, open_checks_without_running_init_and_makes_the_path_absolute)
{
	copy_fixture("good");
	char cwd[PATH_MAX];
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(chdir(plugin_dir), 0);
	drover_plugin p = {0};
	drover_err err = {{0}};
	int rc = drover_loader_open("good.so", &p, &err);
	cr_assert_eq(chdir(cwd), 0);
	cr_assert_eq(rc, 0, "%s", err.message);
	char *expected = path_in(plugin_dir, "good.so");
	cr_assert_str_eq(p.path, expected);
	cr_assert_str_eq(p.desc->name, "good");
	cr_assert_eq(p.desc_size, sizeof(drover_driver));
	cr_assert_null(p.ctx);
	cr_assert_eq(log_count, 0, "init ran during drover_loader_open");
	cr_assert_eq(lt_dlclose(p.module), 0);
	cr_assert_not(is_mapped(expected));
	free(p.path);
	free(expected);
}

Test(loader, open_failure_leaves_the_output_untouched)
{
	copy_fixture("newer_minor");
	char *path = path_in(plugin_dir, "newer_minor.so");
	drover_plugin p = {.path = (char *)"sentinel", .desc_size = 42};
	drover_err err = {{0}};
	cr_assert_eq(drover_loader_open(path, &p, &err), -EPROTO);
	cr_assert_str_eq(p.path, "sentinel");
	cr_assert_eq(p.desc_size, 42);
	cr_assert_eq(strncmp(err.message, path, strlen(path)), 0, "%s", err.message);
	free(path);
}

/* ------------------------------------ plugins that crash or hang (probing) */

static long long elapsed_ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Every probe child was reaped: waitpid has no child left to wait for, and
 * no process in /proc has this one as its parent (a child killed but not
 * reaped would be a zombie that waitpid still reports). */
static void assert_no_child_left(void)
{
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a probe child is still there");
	cr_assert_eq(errno, ECHILD, "waitpid: %s", strerror(errno));

	DIR *proc = opendir("/proc");
	cr_assert_not_null(proc);
	struct dirent *e;
	while ((e = readdir(proc)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue; /* gone meanwhile */
		char line[1024];
		int ppid = 0;
		if (fgets(line, sizeof(line), f)) {
			/* "pid (comm) state ppid ...": comm may hold spaces and ')'. */
			char *close = strrchr(line, ')');
			if (close)
				sscanf(close + 1, " %*c %d", &ppid);
		}
		fclose(f);
		cr_assert_neq(ppid, getpid(), "process %s is still a child of the test", e->d_name);
	}
	closedir(proc);
}

/* A short deadline so that the hang tests take a fraction of a second. */
static void short_probe_timeout(void)
{
	cr_assert_eq(setenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS", "300", 1), 0);
}

Test(probe, crash_in_constructor_is_refused_naming_dlopen)
{
	REFUSED("crash_in_constructor", "crashed with SIGSEGV while loading (in dlopen",
	        "constructors", "not loaded");
	assert_no_child_left();
}

Test(probe, crash_in_init_is_refused_naming_init)
{
	REFUSED("crash_in_init", "crashed with SIGSEGV while loading (in init)");
	assert_no_child_left();
}

Test(probe, crash_in_fingerprint_is_refused_with_the_real_signal)
{
	REFUSED("crash_in_fingerprint", "crashed with SIGBUS while loading (in fingerprint)");
	assert_no_child_left();
}

Test(probe, hang_in_init_is_killed_at_the_deadline_and_refused)
{
	short_probe_timeout();
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	REFUSED("hang_in_init", "did not finish loading within 300 ms (hung in init)", "killed",
	        "DROVER_PLUGIN_PROBE_TIMEOUT_MS");
	long long ms = elapsed_ms_since(&start);
	cr_assert_geq(ms, 300, "refused after %lld ms, before the deadline", ms);
	cr_assert_lt(ms, 3000, "took %lld ms for a 300 ms deadline", ms);
	assert_no_child_left();
}

Test(probe, hang_in_fingerprint_is_killed_and_refused)
{
	short_probe_timeout();
	REFUSED("hang_in_fingerprint", "did not finish loading within 300 ms (hung in fingerprint)");
	assert_no_child_left();
}

Test(probe, whole_seconds_are_said_in_seconds)
{
	cr_assert_eq(setenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS", "1000", 1), 0);
	REFUSED("hang_in_init", "did not finish loading within 1 s (hung in init)");
}

Test(probe, timeout_defaults_to_five_seconds_and_ignores_nonsense)
{
	cr_assert_eq(unsetenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS"), 0);
	cr_assert_eq(drover_probe_timeout_ms(), 5000);
	static const char *const nonsense[] = {"", "0", "-5", "12abc", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(nonsense) / sizeof(nonsense[0]); i++) {
		setenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS", nonsense[i], 1);
		cr_assert_eq(drover_probe_timeout_ms(), 5000, "\"%s\" was taken", nonsense[i]);
	}
	setenv("DROVER_PLUGIN_PROBE_TIMEOUT_MS", "250", 1);
	cr_assert_eq(drover_probe_timeout_ms(), 250);
}

/* A plugin that ends the process (exit() in init) would end the host too. */
static void exits_in_init(drover_probe *probe, void *data)
{
	(void)data;
	drover_probe_enter(probe, DROVER_PROBE_PHASE_INIT);
	_exit(3);
}

static void finishes(drover_probe *probe, void *data)
{
	drover_probe_enter(probe, DROVER_PROBE_PHASE_INIT);
	*(int *)data = 1; /* in the child's copy only */
}

Test(probe, exit_in_a_step_is_refused_with_its_status)
{
	drover_err err = {{0}};
	cr_assert_eq(drover_probe_run("/some/plugin.so", exits_in_init, NULL, &err), -ECHILD);
	cr_assert_str_eq(err.message, "/some/plugin.so: exited with status 3 while loading (in init): "
	                              "a plugin must not end the host process; fix or remove it");
	int touched = 0;
	cr_assert_eq(drover_probe_run("/some/plugin.so", finishes, &touched, &err), 0);
	cr_assert_eq(touched, 0, "the body ran in the host process");
	assert_no_child_left();
}

Test(probe, directory_of_crashing_and_hanging_plugins_loads_the_good_ones_in_time)
{
	short_probe_timeout();
	static const char *const bad[] = {"crash_in_constructor", "crash_in_init",
	                                  "crash_in_fingerprint", "hang_in_init",
	                                  "hang_in_fingerprint"};
	static const char *const phase[] = {"(in dlopen", "(in init)", "(in fingerprint)",
	                                    "(hung in init)", "(hung in fingerprint)"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		copy_fixture(bad[i]);
	copy_fixture("good");
	copy_fixture("old_minor");

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	loaded l = load_with(plugin_dir, 1);
	long long ms = elapsed_ms_since(&start);
	/* Two hangs of 300 ms each, the rest immediate. */
	cr_assert_lt(ms, 3000, "loading took %lld ms", ms);

	cr_assert_eq(l.rc, 0);
	cr_assert_eq(l.set.count, 2);
	cr_assert_not_null(drover_plugin_set_find(&l.set, "good"));
	cr_assert_not_null(drover_plugin_set_find(&l.set, "old_minor"));
	cr_assert_eq(l.errors.count, sizeof(bad) / sizeof(bad[0]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char file[128];
		snprintf(file, sizeof(file), "%s.so", bad[i]);
		const char *line = error_for(&l, file);
		cr_assert_not_null(line, "no error line for %s", file);
		cr_assert_not_null(strstr(line, phase[i]), "%s: \"%s\" not in: %s", file, phase[i], line);
		char *path = path_in(plugin_dir, file);
		cr_assert_not(is_mapped(path), "%s is mapped in the host", file);
		free(path);
	}
	/* The good plugin works in-process after its probe. */
	attrs a = fingerprint(drover_plugin_set_find(&l.set, "good"));
	cr_assert_str_eq(attribute(&a, "driver.good.greeting"), "hi");
	cr_assert_str_eq(attribute(&a, "driver.good.set_config_calls"), "1");
	unload(&l);
	assert_no_child_left();
}

/* -------------------------------------------- drover_loader_check_descriptor */

static int noop_init(const drover_host *h, void **ctx, drover_err *err)
{
	(void)h;
	(void)ctx;
	(void)err;
	return 0;
}
static void noop_fini(void *ctx)
{
	(void)ctx;
}
static int noop_fingerprint(void *ctx, drover_fingerprint *out, drover_err *err)
{
	(void)ctx;
	(void)out;
	(void)err;
	return 0;
}
static int noop_start(void *ctx, const drover_task_config *cfg, drover_task **task,
                      drover_handle *handle, drover_err *err)
{
	(void)ctx;
	(void)cfg;
	(void)task;
	(void)handle;
	(void)err;
	return 0;
}
static int noop_recover(void *ctx, const drover_task_config *cfg, const void *handle, size_t len,
                        drover_task **task, drover_err *err)
{
	(void)ctx;
	(void)cfg;
	(void)handle;
	(void)len;
	(void)task;
	(void)err;
	return 0;
}
static int noop_wait_fd(void *ctx, drover_task *task, drover_err *err)
{
	(void)ctx;
	(void)task;
	(void)err;
	return 0;
}
static int noop_wait(void *ctx, drover_task *task, int flags, drover_exit_result *res,
                     drover_err *err)
{
	(void)ctx;
	(void)task;
	(void)flags;
	(void)res;
	(void)err;
	return 0;
}
static int noop_stop(void *ctx, drover_task *task, int signo, long long timeout_ms, drover_err *err)
{
	(void)ctx;
	(void)task;
	(void)signo;
	(void)timeout_ms;
	(void)err;
	return 0;
}
static int noop_destroy(void *ctx, drover_task *task, int force, drover_err *err)
{
	(void)ctx;
	(void)task;
	(void)force;
	(void)err;
	return 0;
}

static drover_driver valid_descriptor(void)
{
	drover_driver d = {
		.struct_size = sizeof(drover_driver),
		.abi_major = DROVER_ABI_MAJOR,
		.abi_minor = DROVER_ABI_MINOR,
		.name = "valid_1",
		.init = noop_init,
		.fini = noop_fini,
		.fingerprint = noop_fingerprint,
		.start = noop_start,
		.recover = noop_recover,
		.wait_fd = noop_wait_fd,
		.wait = noop_wait,
		.stop = noop_stop,
		.destroy = noop_destroy,
	};
	return d;
}

static void expect_check(const drover_driver *d, int code, const char *fragment)
{
	drover_err err = {{0}};
	int rc = drover_loader_check_descriptor("/plugins/x.so", d, &err);
	cr_assert_eq(rc, code, "expected %d, got %d (%s)", code, rc, err.message);
	if (fragment) {
		cr_assert_eq(strncmp(err.message, "/plugins/x.so: ", 15), 0, "%s", err.message);
		cr_assert_not_null(strstr(err.message, fragment), "\"%s\" not in: %s", fragment,
		                   err.message);
		cr_assert_not_null(strstr(err.message, "1.3"), "host ABI not named: %s", err.message);
	}
}

Test(descriptor, valid_descriptor_passes)
{
	drover_driver d = valid_descriptor();
	expect_check(&d, 0, NULL);
}

Test(descriptor, null_descriptor_is_refused)
{
	expect_check(NULL, -EINVAL, "returned no descriptor (NULL)");
}

Test(descriptor, each_required_method_is_named_when_null)
{
	static const struct {
		const char *name;
		size_t offset;
	} methods[] = {
		{"init", offsetof(drover_driver, init)},
		{"fini", offsetof(drover_driver, fini)},
		{"fingerprint", offsetof(drover_driver, fingerprint)},
		{"start", offsetof(drover_driver, start)},
		{"recover", offsetof(drover_driver, recover)},
		{"wait_fd", offsetof(drover_driver, wait_fd)},
		{"wait", offsetof(drover_driver, wait)},
		{"stop", offsetof(drover_driver, stop)},
		{"destroy", offsetof(drover_driver, destroy)},
	};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		drover_driver d = valid_descriptor();
		void (*null_fn)(void) = NULL;
		memcpy((char *)&d + methods[i].offset, &null_fn, sizeof(null_fn));
		char fragment[64];
		snprintf(fragment, sizeof(fragment), "no `%s` method", methods[i].name);
		expect_check(&d, -EINVAL, fragment);
	}
}

Test(descriptor, optional_methods_may_be_null)
{
	drover_driver d = valid_descriptor();
	d.set_config = NULL;
	d.capabilities = NULL;
	d.periodic = NULL;
	expect_check(&d, 0, NULL);
}

Test(descriptor, names_are_checked_and_quoted_safely)
{
	drover_driver d = valid_descriptor();
	d.name = NULL;
	expect_check(&d, -EINVAL, "no (NULL) driver name");
	d.name = "";
	expect_check(&d, -EINVAL, "an empty driver name");
	d.name = "raw exec";
	expect_check(&d, -EINVAL, "driver name \"raw exec\" is not made of [a-z0-9_]");
	d.name = "bad\033[2J";
	expect_check(&d, -EINVAL, "driver name \"bad\\x1b[2J\"");
	d.name = "raw_exec2";
	expect_check(&d, 0, NULL);
}

Test(descriptor, abi_and_size_refusals_name_both_abis)
{
	drover_driver d = valid_descriptor();
	d.abi_major = 3;
	d.abi_minor = 2;
	expect_check(&d, -EPROTO, "built for ABI 3.2, this host speaks 1.3");
	d = valid_descriptor();
	d.abi_minor = 4;
	expect_check(&d, -EPROTO, "built for ABI 1.4, newer than this host's 1.3: upgrade drover");
	d = valid_descriptor();
	d.struct_size = 4;
	expect_check(&d, -EINVAL, "descriptor size 4 is smaller than its 8-byte frozen prefix");
	d = valid_descriptor();
	d.struct_size = 0;
	expect_check(&d, -EINVAL, "struct_size is 0 (plugin claims ABI 1.3, this host speaks 1.3)");
}

Test(abi, configure_and_header_agree_on_the_abi)
{
	cr_assert_eq(CONFIGURE_ABI_MAJOR, DROVER_ABI_MAJOR,
	             "configure.ac says ABI major %d, driver.h says %d: keep them in sync",
	             CONFIGURE_ABI_MAJOR, DROVER_ABI_MAJOR);
	cr_assert_eq(CONFIGURE_ABI_MINOR, DROVER_ABI_MINOR,
	             "configure.ac says ABI minor %d, driver.h says %d: keep them in sync",
	             CONFIGURE_ABI_MINOR, DROVER_ABI_MINOR);
	cr_assert_str_eq(DROVER_DRIVER_ENTRY_SYMBOL, "drover_driver_entry_v1");
}

Test(abi, good_fixture_exports_only_the_entry_symbol)
{
	/* Not drover_test_require: its cr_fail(...) does not build against
	 * Criterion 2.4's cr_fail(Fail, ...). */
	if (system("command -v nm >/dev/null 2>&1") != 0) {
		if (drover_test_strict())
			cr_assert_fail("required for this test but missing (DROVER_TEST_STRICT=1): nm "
			               "(install the Debian package binutils)");
		cr_skip_test("nm is missing (install the Debian package binutils)");
	}
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s/good.so'", FIXTURE_LIBS_DIR);
	FILE *nm = popen(cmd, "r");
	cr_assert_not_null(nm);
	char line[512];
	int entry = 0, others = 0;
	while (fgets(line, sizeof(line), nm)) {
		char addr[64], type[8], name[256];
		if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3)
			continue;
		if (strcmp(name, "drover_driver_entry_v1") == 0)
			entry++;
		else {
			others++;
			cr_log_error("good.so also exports %s", name);
		}
	}
	cr_assert_eq(pclose(nm), 0, "%s failed", cmd);
	cr_assert_eq(entry, 1, "good.so does not export drover_driver_entry_v1");
	cr_assert_eq(others, 0, "good.so exports more than the entry symbol");
}

/* ------------------------------------------------- fingerprint, once a process */

static int fingerprint_calls;

static int counting_fingerprint(void *ctx, drover_fingerprint *out, drover_err *err)
{
	(void)ctx;
	(void)err;
	fingerprint_calls++;
	out->health = DROVER_HEALTH_HEALTHY;
	snprintf(out->description, sizeof(out->description), "call %d", fingerprint_calls);
	if (out->set_attribute)
		out->set_attribute(out->sink, "driver.counting", "1");
	return 0;
}

static void count_attribute(void *sink, const char *key, const char *value)
{
	(void)key;
	(void)value;
	(*(int *)sink)++;
}

/* A one-shot command asks a driver's fingerprint several times: the daemon
 * behind it (docker) is asked once, the answer replayed with its attributes;
 * the agent's fresh rounds ask again. */
Test(loader, fingerprint_is_asked_once_per_process_unless_fresh)
{
	static const drover_driver counting = {.struct_size = sizeof(drover_driver),
	                                       .name = "counting",
	                                       .fingerprint = counting_fingerprint};
	drover_plugin p = {.desc = &counting};
	drover_err err = {{0}};
	int replayed = 0;
	fingerprint_calls = 0;
	for (int i = 0; i < 3; i++) {
		drover_fingerprint fp = {.struct_size = sizeof(fp), .sink = &replayed,
		                         .set_attribute = count_attribute};
		cr_assert_eq(drover_plugin_fingerprint(&p, 0, &fp, &err), 0);
		cr_assert_eq(fp.health, DROVER_HEALTH_HEALTHY);
		cr_assert_str_eq(fp.description, "call 1");
	}
	cr_assert_eq(fingerprint_calls, 1, "the driver was asked %d times", fingerprint_calls);
	cr_assert_eq(replayed, 3, "the attribute is replayed to every caller");
	drover_fingerprint fresh = {.struct_size = sizeof(fresh)};
	cr_assert_eq(drover_plugin_fingerprint(&p, 1, &fresh, &err), 0);
	cr_assert_eq(fingerprint_calls, 2);
	cr_assert_str_eq(fresh.description, "call 2");
	drover_fingerprint again = {.struct_size = sizeof(again)};
	cr_assert_eq(drover_plugin_fingerprint(&p, 0, &again, &err), 0);
	cr_assert_str_eq(again.description, "call 2", "the fresh answer is the one kept");
	drover_plugin_fingerprint_forget(&p);
}

/* Loading one driver by name opens only <name>.so: the crashing and hanging
 * plugins next to it are not even probed (no error line, no delay), a name
 * that is not a driver name never reaches the filesystem, and the full scan
 * that may follow skips the file already loaded instead of refusing it as a
 * duplicate of itself. */
Test(loader, load_named_opens_only_the_file_named_after_the_driver)
{
	copy_fixture("crash_in_init");
	copy_fixture("hang_in_init");
	copy_fixture("good");
	loaded l = {.rc = 0};

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	cr_assert_eq(drover_loader_load_named(plugin_dir, "good", &test_services, test_options, NULL,
	                                      &l.set, &l.errors), 0);
	cr_assert_lt(elapsed_ms_since(&start), 3000, "a hanging plugin was probed");
	cr_assert_eq(l.set.count, 1);
	cr_assert_not_null(drover_plugin_set_find(&l.set, "good"));
	cr_assert_eq(l.errors.count, 0, "%s", l.errors.count ? l.errors.lines[0] : "");

	/* Absent, or not a driver name: nothing loaded, nothing said. */
	cr_assert_eq(drover_loader_load_named(plugin_dir, "docker", &test_services, test_options,
	                                      NULL, &l.set, &l.errors), -ENOENT);
	cr_assert_eq(drover_loader_load_named(plugin_dir, "../good", &test_services, test_options,
	                                      NULL, &l.set, &l.errors), -ENOENT);
	cr_assert_eq(l.set.count, 1);
	cr_assert_eq(l.errors.count, 0);

	/* The fallback scan: good is not loaded twice, the broken ones are refused. */
	short_probe_timeout();
	cr_assert_eq(drover_loader_load_dir(plugin_dir, &test_services, test_options, NULL, &l.set,
	                                    &l.errors), 0);
	cr_assert_eq(l.set.count, 1);
	cr_assert_null(error_for(&l, "good.so"), "good.so refused: %s", error_for(&l, "good.so"));
	cr_assert_not_null(error_for(&l, "crash_in_init.so"));
	cr_assert_not_null(error_for(&l, "hang_in_init.so"));
	unload(&l);
	assert_no_child_left();
}

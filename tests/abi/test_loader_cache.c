/* The probe and fingerprint caches (host/loader_cache.h) with a real plugin
 * file: the counted fixture appends a line per init and per fingerprint to
 * $DROVER_TEST_COUNT_FILE, from the probe child as from this process, so each
 * test sees whether the probe ran and whether the driver was asked. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "loader.h"
#include "loader_cache.h"
#include "test_files.h"
#include "test_support.h"

static char root[64], plugin_dir[128], data_dir[128], count_file[128];
static const drover_value *options; /* what the agent config gives the driver */

static void setup(void)
{
	strcpy(root, "/tmp/drover-cache-XXXXXX");
	cr_assert_not_null(mkdtemp(root), "mkdtemp: %s", strerror(errno));
	snprintf(plugin_dir, sizeof(plugin_dir), "%s/plugins", root);
	snprintf(data_dir, sizeof(data_dir), "%s/data", root);
	snprintf(count_file, sizeof(count_file), "%s/counts", root);
	cr_assert_eq(mkdir(plugin_dir, 0755), 0);
	cr_assert_eq(mkdir(data_dir, 0700), 0);
	setenv("DROVER_TEST_COUNT_FILE", count_file, 1);
	unsetenv("DROVER_FINGERPRINT_CACHE_MAX_AGE_MS");
	unsetenv("DROVER_TEST_COUNTED_HEALTH");
	options = NULL;
	drover_loader_cache_set_data_dir(data_dir);
}

static void teardown(void)
{
	drover_loader_cache_set_data_dir(NULL);
	if (root[0])
		test_rm_tree(root);
}

TestSuite(cache, .init = setup, .fini = teardown);

/* Copies the built fixture into the plugin dir through a new file renamed into
 * place: a new inode, as a package upgrade makes. */
static void install_plugin(void)
{
	char src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	snprintf(src, sizeof(src), "%s/counted.so", FIXTURE_LIBS_DIR);
	snprintf(tmp, sizeof(tmp), "%s/.counted.so.new", plugin_dir);
	snprintf(dst, sizeof(dst), "%s/counted.so", plugin_dir);
	test_copy_file(src, tmp);
	cr_assert_eq(rename(tmp, dst), 0, "rename: %s", strerror(errno));
}

static int count_of(const char *what)
{
	FILE *f = fopen(count_file, "r");
	if (!f)
		return 0;
	char line[64];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, what, strlen(what)) == 0 && line[strlen(what)] == '\n';
	fclose(f);
	return n;
}

static void quiet(void *host_data, drover_log_level level, const char *message)
{
	(void)host_data;
	(void)level;
	(void)message;
}

static const drover_host services = {
	.struct_size = sizeof(drover_host),
	.abi_major = DROVER_ABI_MAJOR,
	.abi_minor = DROVER_ABI_MINOR,
	.log = quiet,
};

static const drover_value *options_for(void *data, const char *name)
{
	(void)data;
	(void)name;
	return options;
}

static void collect(void *sink, const char *key, const char *value)
{
	FILE *f = sink;
	fprintf(f, "%s=%s;", key, value);
}

/* Loads the directory as a command does, and fingerprints the driver as a
 * command does (not fresh); returns its attributes, description and health as
 * one string. The inits and fingerprints that ran are in the count file. */
static char *load_and_fingerprint(void)
{
	drover_plugin_set set = {0};
	drover_errlist errors = {0};
	cr_assert_eq(drover_loader_load_dir(plugin_dir, &services, options_for, NULL, &set, &errors), 0);
	cr_assert_eq(errors.count, 0, "refused: %s", errors.count ? errors.lines[0] : "");
	drover_plugin *p = drover_plugin_set_find(&set, "counted");
	cr_assert_not_null(p, "the counted fixture did not load");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	drover_fingerprint fp = {.struct_size = sizeof(fp), .sink = f, .set_attribute = collect};
	drover_err err = {{0}};
	cr_assert_eq(drover_plugin_fingerprint(p, 0, &fp, &err), 0, "%s", err.message);
	fprintf(f, "health=%d;description=%s", (int)fp.health, fp.description);
	fclose(f);
	drover_plugin_set_clear(&set);
	drover_errlist_clear(&errors);
	return text;
}

static void cache_file(const char *kind, char *out, size_t len)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/plugin-cache", data_dir);
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "%s: %s: nothing was cached", dir, strerror(errno));
	struct dirent *e;
	out[0] = '\0';
	while ((e = readdir(d)))
		if (strncmp(e->d_name, kind, strlen(kind)) == 0 && e->d_name[strlen(kind)] == '-')
			snprintf(out, len, "%s/%s", dir, e->d_name);
	closedir(d);
	cr_assert(out[0], "no %s file in %s", kind, dir);
}

/* A first load probes (init in the child and here) and asks the driver; the
 * files are 0600 in a 0700 directory. */
static char *first_load(void)
{
	install_plugin();
	char *first = load_and_fingerprint();
	cr_assert_eq(count_of("init"), 2, "the first load did not probe then init");
	cr_assert_eq(count_of("fingerprint"), 2, "probe plus the command's own fingerprint");
	return first;
}

Test(cache, a_second_command_neither_probes_nor_fingerprints)
{
	char *first = first_load();
	char dir[PATH_MAX], file[PATH_MAX];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/plugin-cache", data_dir);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "cache dir mode %o", st.st_mode & 0777);
	cache_file("fingerprint", file, sizeof(file));
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "cache file mode %o", st.st_mode & 0777);

	char *second = load_and_fingerprint();
	cr_assert_eq(count_of("init"), 3, "the second load probed again");
	cr_assert_eq(count_of("fingerprint"), 2, "the second command asked the driver again");
	cr_assert_str_eq(second, first, "the cached fingerprint differs from the driver's");
	free(first);
	free(second);
}

Test(cache, a_replaced_plugin_file_is_probed_and_asked_again)
{
	free(first_load());
	install_plugin(); /* same bytes, new inode */
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 4, "the replaced file was not probed again");
	cr_assert_eq(count_of("fingerprint"), 4, "the replaced file's fingerprint came from the cache");
}

Test(cache, changed_plugin_options_probe_again)
{
	static const char *const keys[] = {"mode"};
	static const drover_value values[] = {{.type = DROVER_VALUE_STRING, .u.string = {"b", 1}}};
	static const drover_value mode_b = {.type = DROVER_VALUE_OBJECT,
	                                    .u.object = {1, keys, values}};
	free(first_load());
	options = &mode_b;
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 4, "new plugin options did not probe again");
	cr_assert_eq(count_of("fingerprint"), 4, "new plugin options reused the old fingerprint");
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 5, "the probe with the new options was not cached");
	cr_assert_eq(count_of("fingerprint"), 4);
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

Test(cache, a_corrupt_cache_is_ignored_and_rewritten)
{
	char probe[PATH_MAX], fp[PATH_MAX];
	char *first = first_load();
	cache_file("probe", probe, sizeof(probe));
	cache_file("fingerprint", fp, sizeof(fp));
	write_text(probe, "21:drover-plugin-cache 1\n5:probe\n999:cut");
	write_text(fp, "garbage\n");
	char *second = load_and_fingerprint();
	cr_assert_eq(count_of("init"), 4, "a corrupt probe record was believed");
	cr_assert_eq(count_of("fingerprint"), 4, "a corrupt fingerprint record was believed");
	cr_assert_str_eq(second, first);
	/* Rewritten: a third command is served from it. */
	char *third = load_and_fingerprint();
	cr_assert_eq(count_of("init"), 5, "the corrupt probe record was not rewritten");
	cr_assert_eq(count_of("fingerprint"), 4, "the corrupt fingerprint record was not rewritten");
	cr_assert_str_eq(third, first);
	free(first);
	free(second);
	free(third);
}

/* A truncated record (a crash between write and rename cannot make one, but a
 * full disk or a hand edit can) is not believed either. */
Test(cache, a_truncated_cache_is_ignored)
{
	char fp[PATH_MAX];
	free(first_load());
	cache_file("fingerprint", fp, sizeof(fp));
	struct stat st;
	cr_assert_eq(stat(fp, &st), 0);
	cr_assert_eq(truncate(fp, st.st_size - 5), 0);
	free(load_and_fingerprint());
	cr_assert_eq(count_of("fingerprint"), 3, "a truncated fingerprint record was believed");
}

Test(cache, a_cache_another_user_owns_is_refused)
{
	drover_test_require(geteuid() == 0, "needs root to give the cache to another user");
	char probe[PATH_MAX], fp[PATH_MAX];
	free(first_load());
	cache_file("probe", probe, sizeof(probe));
	cache_file("fingerprint", fp, sizeof(fp));
	cr_assert_eq(chown(probe, 65534, 65534), 0, "chown: %s", strerror(errno));
	cr_assert_eq(chown(fp, 65534, 65534), 0, "chown: %s", strerror(errno));
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 4, "a probe record owned by another user was believed");
	cr_assert_eq(count_of("fingerprint"), 4, "a fingerprint owned by another user was believed");

	/* The whole directory handed to another user: not used at all. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/plugin-cache", data_dir);
	cr_assert_eq(chown(dir, 65534, 65534), 0);
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 6, "a cache directory owned by another user was believed");
	cr_assert_eq(count_of("fingerprint"), 6);
}

Test(cache, a_group_writable_cache_is_refused)
{
	char fp[PATH_MAX];
	free(first_load());
	cache_file("fingerprint", fp, sizeof(fp));
	cr_assert_eq(chmod(fp, 0620), 0);
	free(load_and_fingerprint());
	cr_assert_eq(count_of("fingerprint"), 3, "a group-writable fingerprint record was believed");
}

Test(cache, a_symlinked_cache_is_refused)
{
	char probe[PATH_MAX], fp[PATH_MAX], saved[PATH_MAX];
	free(first_load());
	cache_file("probe", probe, sizeof(probe));
	cache_file("fingerprint", fp, sizeof(fp));
	/* Valid records, reached through symlinks: still refused. */
	snprintf(saved, sizeof(saved), "%s/saved-probe", root);
	cr_assert_eq(rename(probe, saved), 0);
	cr_assert_eq(symlink(saved, probe), 0);
	snprintf(saved, sizeof(saved), "%s/saved-fp", root);
	cr_assert_eq(rename(fp, saved), 0);
	cr_assert_eq(symlink(saved, fp), 0);
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 4, "a symlinked probe record was believed");
	cr_assert_eq(count_of("fingerprint"), 4, "a symlinked fingerprint record was believed");
	/* ... and replaced by a file, the symlink's target untouched. */
	struct stat st;
	cr_assert_eq(lstat(fp, &st), 0);
	cr_assert(S_ISREG(st.st_mode), "the symlink was not replaced by a regular file");

	/* The directory itself a symlink to a valid one: refused. */
	char dir[PATH_MAX], moved[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/plugin-cache", data_dir);
	snprintf(moved, sizeof(moved), "%s/elsewhere", root);
	cr_assert_eq(rename(dir, moved), 0);
	cr_assert_eq(symlink(moved, dir), 0);
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 6, "a symlinked cache directory was believed");
}

Test(cache, a_hard_linked_cache_is_refused)
{
	char fp[PATH_MAX], other[PATH_MAX];
	free(first_load());
	cache_file("fingerprint", fp, sizeof(fp));
	snprintf(other, sizeof(other), "%s/plugin-cache/extra-link", data_dir);
	cr_assert_eq(link(fp, other), 0, "link: %s", strerror(errno));
	free(load_and_fingerprint());
	cr_assert_eq(count_of("fingerprint"), 3, "a hard-linked fingerprint record was believed");
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(cache, a_fingerprint_older_than_the_max_age_is_asked_again)
{
	free(first_load());
	long long written = mono_ms();
	setenv("DROVER_FINGERPRINT_CACHE_MAX_AGE_MS", "200", 1);
	cr_assert_eq(drover_fingerprint_cache_max_age_ms(), 200);
	/* The age is what is waited for: the clock, not a guess. */
	while (mono_ms() - written <= 250) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 3, "the probe record should not age");
	cr_assert_eq(count_of("fingerprint"), 3, "an expired fingerprint was replayed");
	/* The new answer is fresh again. */
	free(load_and_fingerprint());
	cr_assert_eq(count_of("fingerprint"), 3, "the refreshed fingerprint was not reused");
}

/* A driver that was unhealthy a moment ago (a daemon down) may be healthy now:
 * only a healthy answer is reused, so a job is never refused on a stale one. */
Test(cache, an_unhealthy_fingerprint_is_asked_again)
{
	setenv("DROVER_TEST_COUNTED_HEALTH", "unhealthy", 1);
	free(first_load());
	unsetenv("DROVER_TEST_COUNTED_HEALTH");
	char *now = load_and_fingerprint();
	cr_assert_eq(count_of("init"), 3, "the probe record should be reused");
	cr_assert_eq(count_of("fingerprint"), 3, "a cached unhealthy fingerprint was replayed");
	cr_assert(strstr(now, "health=2;"), "the driver's healthy answer was not used: %s", now);
	free(now);
}

Test(cache, a_fresh_fingerprint_always_asks_the_driver_and_refreshes_the_cache)
{
	free(first_load());
	drover_plugin_set set = {0};
	drover_errlist errors = {0};
	cr_assert_eq(drover_loader_load_dir(plugin_dir, &services, options_for, NULL, &set, &errors), 0);
	drover_plugin *p = drover_plugin_set_find(&set, "counted");
	cr_assert_not_null(p);
	drover_fingerprint fp = {.struct_size = sizeof(fp)};
	drover_err err = {{0}};
	cr_assert_eq(drover_plugin_fingerprint(p, 1, &fp, &err), 0);
	cr_assert_eq(count_of("fingerprint"), 3, "the agent's fresh fingerprint was served from the cache");
	drover_plugin_set_clear(&set);
	drover_errlist_clear(&errors);
}

Test(cache, no_data_dir_means_no_cache)
{
	drover_loader_cache_set_data_dir(NULL);
	free(first_load());
	free(load_and_fingerprint());
	cr_assert_eq(count_of("init"), 4, "without a cache dir the probe was skipped");
	char dir[PATH_MAX];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/plugin-cache", data_dir);
	cr_assert_neq(stat(dir, &st), 0, "a cache was written without a data dir");
}

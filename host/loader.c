/* Opening driver plugins with libltdl and bringing them up (DESIGN.md, "Loading"). */
#include "config.h"

#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader_cache.h"
#include "util.h"
#include "value_tree.h"

/* libltdl keeps global state; it is set up once for the life of the process
 * and never torn down, so that plugins of several sets can coexist. */
static pthread_once_t ltdl_once = PTHREAD_ONCE_INIT;
static int ltdl_init_failures;

static void ltdl_init(void)
{
	ltdl_init_failures = lt_dlinit();
}

/* A message never repeats the path the caller already prints first. */
static const char *strip_path_prefix(const char *msg, const char *path)
{
	size_t n = strlen(path);
	if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static char *absolute_path(const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	_cleanup_(drover_freep) char *cwd = getcwd(NULL, 0);
	char *abs = NULL;
	if (!cwd || asprintf(&abs, "%s/%s", cwd, path) < 0)
		return NULL;
	return abs;
}

/* Another major's plugin has no drover_driver_entry_v1 but perhaps its own
 * entry symbol: finding it turns "not a plugin" into "wrong ABI". */
static int other_major_of(lt_dlhandle module)
{
	for (int major = 2; major <= 9; major++) {
		char symbol[64];
		snprintf(symbol, sizeof(symbol), "drover_driver_entry_v%d", major);
		if (lt_dlsym(module, symbol))
			return major;
	}
	(void)lt_dlerror();
	return 0;
}

/* Binds the whole object now (RTLD_NOW) before libltdl opens it, whatever
 * libltdl's own flags are: an unresolved symbol or a missing library then
 * fails here, with the dynamic loader's message that names it, instead of
 * libltdl's "file not found" or a crash at the first call. libltdl's open
 * below finds the object already loaded and bound. */
static int preload_now(const char *path, void **out, drover_err *err)
{
	(void)dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *msg = dlerror();
		return drover_err_set(err, -ENOEXEC,
		                      "%s: cannot load the plugin: %s (install what it needs, or remove it)",
		                      path, msg ? strip_path_prefix(msg, path) : "unknown dynamic loader error");
	}
	*out = h;
	return 0;
}

static int ltdl_open(const char *path, lt_dlhandle *out, drover_err *err)
{
	lt_dladvise advise;
	if (lt_dladvise_init(&advise) != 0)
		return drover_err_set(err, -ENOMEM, "%s: cannot load the plugin: %s", path, lt_dlerror());
	/* Local: two plugins may define the same internal symbols. No extension
	 * search: we pass the exact file. */
	lt_dladvise_local(&advise);
	lt_dlhandle module = lt_dlopenadvise(path, advise);
	lt_dladvise_destroy(&advise);
	if (!module) {
		const char *msg = lt_dlerror();
		return drover_err_set(err, -ENOEXEC, "%s: cannot load the plugin: %s", path,
		                      msg ? strip_path_prefix(msg, path) : "unknown libltdl error");
	}
	*out = module;
	return 0;
}

static int find_entry(const char *path, lt_dlhandle module, drover_driver_entry_fn *out,
                      drover_err *err)
{
	void *sym = lt_dlsym(module, DROVER_DRIVER_ENTRY_SYMBOL);
	if (sym) {
		*out = (drover_driver_entry_fn)sym;
		return 0;
	}
	(void)lt_dlerror();
	int major = other_major_of(module);
	if (major)
		return drover_err_set(err, -EPROTO,
		                      "%s: built for ABI %d (it exports drover_driver_entry_v%d, not %s), "
		                      "this host speaks %d.%d: use a drover release for ABI %d, or rebuild "
		                      "the plugin against drover-sdk %d.x",
		                      path, major, major, DROVER_DRIVER_ENTRY_SYMBOL, DROVER_ABI_MAJOR,
		                      DROVER_ABI_MINOR, major, DROVER_ABI_MAJOR);
	return drover_err_set(err, -ENOEXEC,
	                      "%s: no entry symbol %s: not a drover driver plugin, or built for "
	                      "another ABI major (this host speaks ABI %d.%d)",
	                      path, DROVER_DRIVER_ENTRY_SYMBOL, DROVER_ABI_MAJOR, DROVER_ABI_MINOR);
}

/* drover_loader_open, telling `probe` (NULL in-process) each step that runs
 * plugin code or reads what the plugin returned. */
static int open_plugin(const char *path, drover_plugin *out, drover_err *err, drover_probe *probe)
{
	pthread_once(&ltdl_once, ltdl_init);
	if (ltdl_init_failures)
		return drover_err_set(err, -ENOEXEC, "%s: cannot load the plugin: libltdl failed to initialise: %s",
		                      path, lt_dlerror());

	char *abs = absolute_path(path);
	if (!abs)
		return drover_err_set(err, -ENOMEM, "%s: cannot load the plugin: out of memory", path);
	struct stat st;
	if (stat(abs, &st) < 0) {
		int e = errno;
		drover_err_set(err, -e, "%s: cannot load the plugin: %s", abs, strerror(e));
		free(abs);
		return -e;
	}

	void *bound = NULL;
	drover_probe_enter(probe, DROVER_PROBE_PHASE_DLOPEN);
	int rc = preload_now(abs, &bound, err);
	if (rc < 0) {
		free(abs);
		return rc;
	}
	lt_dlhandle module = NULL;
	rc = ltdl_open(abs, &module, err);
	dlclose(bound);
	if (rc < 0) {
		free(abs);
		return rc;
	}

	drover_driver_entry_fn entry = NULL;
	rc = find_entry(abs, module, &entry, err);
	const drover_driver *desc = NULL;
	if (rc == 0) {
		drover_probe_enter(probe, DROVER_PROBE_PHASE_ENTRY);
		desc = entry();
		drover_probe_enter(probe, DROVER_PROBE_PHASE_DESCRIPTOR);
		rc = drover_loader_check_descriptor(abs, desc, err);
	}
	if (rc < 0) {
		lt_dlclose(module);
		free(abs);
		return rc;
	}

	*out = (drover_plugin){
		.path = abs,
		.module = module,
		.desc = desc,
		.desc_size = desc->struct_size < sizeof(drover_driver) ? desc->struct_size
		                                                       : sizeof(drover_driver),
	};
	return 0;
}

int drover_loader_open(const char *path, drover_plugin *out, drover_err *err)
{
	return open_plugin(path, out, err, NULL);
}

/* Undoes drover_loader_open, for a plugin whose init never succeeded. */
static void plugin_close(drover_plugin *p)
{
	drover_plugin_fingerprint_forget(p);
	lt_dlclose((lt_dlhandle)p->module);
	free(p->path);
	p->path = NULL;
	p->module = NULL;
}

drover_plugin *drover_plugin_set_find(drover_plugin_set *set, const char *name)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->plugins[i]->desc->name, name) == 0)
			return set->plugins[i];
	return NULL;
}

/* The lines of `problems` as one, so that a refused plugin is one line. */
static void add_joined(drover_errlist *errors, const char *path, const drover_errlist *problems,
                       int rc)
{
	char *joined = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&joined, &len);
	if (f) {
		for (size_t i = 0; i < problems->count; i++)
			fprintf(f, "%s%s", i ? "; " : "", problems->lines[i]);
		if (problems->count == 0)
			fprintf(f, "invalid plugin options: %s", strerror(-rc));
		fprintf(f, " (fix the plugin's options in the agent config)");
		fclose(f);
	}
	drover_errlist_add(errors, "%s: %s", path, joined ? joined : strerror(-rc));
	free(joined);
}

/* Plugin options: checked against the plugin's schema (defaults applied) and
 * handed to set_config, even when the operator gave none. */
static int configure(drover_plugin *p, drover_plugin_options_fn options_for, void *options_data,
                     drover_errlist *errors, drover_probe *probe)
{
	const drover_driver *desc = p->desc;
	const drover_value *raw = options_for ? options_for(options_data, desc->name) : NULL;
	p->options_hash = drover_plugin_options_hash(raw); /* the caches' key (loader_cache.h) */
	char where[160];
	snprintf(where, sizeof(where), "plugin \"%s\" config", desc->name);

	drover_errlist problems = {0};
	drover_value checked = {.type = DROVER_VALUE_NULL};
	int rc = drover_schema_check(desc->plugin_schema, raw, where, &checked, &problems);
	if (rc < 0) {
		add_joined(errors, p->path, &problems, rc);
		drover_errlist_clear(&problems);
		drover_value_clear(&checked);
		return rc;
	}
	drover_errlist_clear(&problems);

	if (DROVER_PLUGIN_HAS(p, set_config)) {
		static const drover_value empty = {.type = DROVER_VALUE_OBJECT};
		drover_err err = {{0}};
		drover_probe_enter(probe, DROVER_PROBE_PHASE_SET_CONFIG);
		rc = desc->set_config(p->ctx, checked.type == DROVER_VALUE_OBJECT ? &checked : &empty,
		                      &err);
		if (rc < 0)
			drover_errlist_add(errors, "%s: driver \"%s\" refused its options (%s): %s", p->path,
			                   desc->name, where, err.message[0] ? err.message : strerror(-rc));
	}
	drover_value_clear(&checked);
	return rc < 0 ? rc : 0;
}

static int start_plugin(drover_plugin *p, const drover_host *services, drover_errlist *errors,
                        drover_probe *probe)
{
	p->services = *services;
	p->services.host_data = p;
	drover_err err = {{0}};
	void *ctx = NULL;
	drover_probe_enter(probe, DROVER_PROBE_PHASE_INIT);
	int rc = p->desc->init(&p->services, &ctx, &err);
	if (rc < 0) {
		drover_errlist_add(errors, "%s: init failed: %s", p->path,
		                   err.message[0] ? err.message : strerror(-rc));
		return rc;
	}
	p->ctx = ctx;
	return 0;
}

/* A regular file named *.so, or a symlink to one. Anything else with another
 * name is not ours to judge; a *.so we cannot use is worth a line. */
static int is_candidate(const char *dir, const char *name, drover_errlist *errors)
{
	size_t n = strlen(name);
	if (n <= 3 || strcmp(name + n - 3, ".so") != 0)
		return 0;
	_cleanup_(drover_freep) char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return 0;
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISREG(st.st_mode);
	int e = errno;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		drover_errlist_add(errors, "%s: broken symbolic link to \"%s\" (%s): fix or remove it",
		                   path, target, strerror(e));
	} else {
		drover_errlist_add(errors, "%s: cannot read the plugin: %s", path, strerror(e));
	}
	return 0;
}

/* ---------------------------------------------------------------- probe */

typedef struct probe_args {
	const char *path;
	const drover_host *services;
	drover_plugin_options_fn options_for;
	void *options_data;
	const drover_plugin_set *set;
} probe_args;

/* The probe's plugin logs nothing: the in-process load that follows logs the
 * same lines, once. */
static void quiet_log(void *host_data, drover_log_level level, const char *message)
{
	(void)host_data;
	(void)level;
	(void)message;
}

static void discard_attribute(void *sink, const char *key, const char *value)
{
	(void)sink;
	(void)key;
	(void)value;
}

/* In the forked child: the in-process steps (open, init, set_config), then
 * fingerprint, which `drover plugins` and every command run next. A clean
 * refusal just ends the body: the in-process load reports it with its usual
 * message. Nothing is cleaned up: the child _exits. */
static void probe_body(drover_probe *probe, void *data)
{
	const probe_args *a = data;
	drover_plugin *p = calloc(1, sizeof(*p));
	drover_err err = {{0}};
	drover_errlist ignored = {0};
	if (!p || open_plugin(a->path, p, &err, probe) < 0)
		return;
	/* A duplicate is refused before init in-process: do not run it here either. */
	for (size_t i = 0; i < a->set->count; i++)
		if (strcmp(a->set->plugins[i]->desc->name, p->desc->name) == 0)
			return;
	drover_host quiet = *a->services;
	quiet.log = quiet_log;
	if (start_plugin(p, &quiet, &ignored, probe) < 0 ||
	    configure(p, a->options_for, a->options_data, &ignored, probe) < 0)
		return;
	drover_fingerprint fp = {
		.struct_size = sizeof(fp),
		.set_attribute = discard_attribute,
	};
	drover_probe_enter(probe, DROVER_PROBE_PHASE_FINGERPRINT);
	(void)p->desc->fingerprint(p->ctx, &fp, &err);
}

static void load_one(const char *path, const drover_host *services,
                     drover_plugin_options_fn options_for, void *options_data,
                     drover_plugin_set *set, drover_errlist *errors)
{
	drover_plugin opened;
	drover_err err = {{0}};
	probe_args args = {path, services, options_for, options_data, set};
	/* The file as it is before anything runs: the caches are keyed by it. */
	struct stat st;
	drover_plugin_ident id = {0};
	int have_id = stat(path, &st) == 0;
	if (have_id)
		drover_plugin_ident_from_stat(&id, &st);
	/* This very file passed a probe with these options before (loader_cache.h):
	 * it is loaded without forking a child to try it first. A name already in
	 * the set takes the usual path, which refuses the duplicate. */
	char cached_name[64];
	unsigned long long cached_hash = 0;
	int probed = have_id &&
	             drover_probe_cache_lookup(path, &id, cached_name, sizeof(cached_name),
	                                       &cached_hash) &&
	             !drover_plugin_set_find(set, cached_name) &&
	             cached_hash == drover_plugin_options_hash(
	                                options_for ? options_for(options_data, cached_name) : NULL);
	if (!probed && drover_probe_run(path, probe_body, &args, &err) < 0) {
		drover_errlist_add(errors, "%s", err.message);
		return;
	}
	if (drover_loader_open(path, &opened, &err) < 0) {
		drover_errlist_add(errors, "%s", err.message);
		return;
	}
	const drover_plugin *other = drover_plugin_set_find(set, opened.desc->name);
	if (other) {
		drover_errlist_add(errors, "%s: driver name \"%s\" is already provided by %s: remove one "
		                   "of the two files", opened.path, opened.desc->name, other->path);
		plugin_close(&opened);
		return;
	}

	/* Room first: once init succeeded, nothing may fail but the plugin's own steps. */
	drover_plugin **grown = realloc(set->plugins, (set->count + 1) * sizeof(*grown));
	drover_plugin *p = malloc(sizeof(*p));
	if (grown)
		set->plugins = grown;
	if (!grown || !p) {
		drover_errlist_add(errors, "%s: cannot load the plugin: out of memory", opened.path);
		free(p);
		plugin_close(&opened);
		return;
	}
	*p = opened;
	if (start_plugin(p, services, errors, NULL) < 0) {
		plugin_close(p);
		free(p);
		return;
	}
	if (configure(p, options_for, options_data, errors, NULL) < 0) {
		p->desc->fini(p->ctx);
		plugin_close(p);
		free(p);
		return;
	}
	/* Cached only when what was loaded is the file that was stat'ed: one
	 * replaced meanwhile is probed again next time. */
	struct stat now;
	drover_plugin_ident now_id = {0};
	if (have_id && stat(path, &now) == 0)
		drover_plugin_ident_from_stat(&now_id, &now);
	if (have_id && memcmp(&now_id, &id, sizeof(id)) == 0) {
		p->cacheable = 1;
		p->ident = id;
		if (!probed)
			drover_probe_cache_store(p);
	}
	set->plugins[set->count++] = p;
}

/* A file drover_loader_load_named already loaded is not loaded twice. */
static int set_has_path(const drover_plugin_set *set, const char *path)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->plugins[i]->path, path) == 0)
			return 1;
	return 0;
}

int drover_loader_load_named(const char *dir, const char *driver_name, const drover_host *services,
                             drover_plugin_options_fn options_for, void *options_data,
                             drover_plugin_set *set, drover_errlist *errors)
{
	_cleanup_(drover_freep) char *abs = absolute_path(dir);
	_cleanup_(drover_freep) char *file = NULL;
	if (!abs || asprintf(&file, "%s.so", driver_name) < 0) {
		drover_errlist_add(errors, "%s: cannot read the plugin directory: %s", dir, strerror(ENOMEM));
		return -ENOMEM;
	}
	/* Only a name a driver may have: no "../x" or "/" reaches the path. */
	for (const char *c = driver_name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return -ENOENT;
	if (!driver_name[0])
		return -ENOENT;
	_cleanup_(drover_freep) char *path = NULL;
	if (asprintf(&path, "%s/%s", abs, file) < 0)
		return -ENOMEM;
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	if (!set_has_path(set, path))
		load_one(path, services, options_for, options_data, set, errors);
	return drover_plugin_set_find(set, driver_name) ? 0 : -ENOENT;
}

/* Name order, independent of the locale, so that which of two duplicates wins
 * is the same on every machine. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int drover_loader_load_dir(const char *dir, const drover_host *services,
                           drover_plugin_options_fn options_for, void *options_data,
                           drover_plugin_set *set, drover_errlist *errors)
{
	_cleanup_(drover_freep) char *abs = absolute_path(dir);
	if (!abs) {
		drover_errlist_add(errors, "%s: cannot read the plugin directory: %s", dir, strerror(ENOMEM));
		return -ENOMEM;
	}
	struct dirent **entries = NULL;
	int n = scandir(abs, &entries, NULL, by_name);
	if (n < 0) {
		drover_errlist_add(errors, "%s: cannot read the plugin directory: %s", dir, strerror(errno));
		return -ENOENT;
	}
	for (int i = 0; i < n; i++) {
		const char *name = entries[i]->d_name;
		if (is_candidate(abs, name, errors)) {
			_cleanup_(drover_freep) char *path = NULL;
			if (asprintf(&path, "%s/%s", abs, name) < 0)
				drover_errlist_add(errors, "%s/%s: cannot load the plugin: out of memory", dir, name);
			else if (!set_has_path(set, path))
				load_one(path, services, options_for, options_data, set, errors);
		}
		free(entries[i]);
	}
	free(entries);
	return 0;
}

void drover_plugin_set_clear(drover_plugin_set *set)
{
	/* Last loaded, first closed. */
	for (size_t i = set->count; i-- > 0;) {
		drover_plugin *p = set->plugins[i];
		p->desc->fini(p->ctx);
		plugin_close(p);
		free(p);
	}
	free(set->plugins);
	set->plugins = NULL;
	set->count = 0;
}

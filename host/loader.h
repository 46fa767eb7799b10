/* Finding and loading driver plugins (the rules are in DESIGN.md, "Loading"). */
#ifndef DROVER_HOST_LOADER_H
#define DROVER_HOST_LOADER_H

#include <stddef.h>

#include <drover/driver.h>

#include "schema_check.h"

/* Which file a plugin was loaded from, as the caches know it (loader_cache.h). */
typedef struct drover_plugin_ident {
	unsigned long long dev, ino, size;
	long long mtime_sec, mtime_nsec;
} drover_plugin_ident;

typedef struct drover_plugin {
	char *path;                  /* absolute path of the .so */
	void *module;                /* the lt_dlhandle */
	const drover_driver *desc;   /* as the plugin returned it */
	size_t desc_size;            /* min(desc->struct_size, sizeof(drover_driver)) */
	void *ctx;                   /* from init, NULL before */
	drover_host services;        /* the table handed to init; lives as long as the plugin */
	struct drover_fingerprint_cache *fingerprint; /* drover_plugin_fingerprint's, or NULL */
	/* Set by drover_loader_load_dir/_named, for the on-disk caches
	 * (loader_cache.h); `cacheable` stays 0 for drover_loader_open. */
	int cacheable;
	drover_plugin_ident ident;
	unsigned long long options_hash;
	/* Set by the agent when the driver crashed drover too often (host/crash.h):
	 * why its tasks are not started; empty otherwise. */
	char quarantine[512];
} drover_plugin;

/* The plugin's fingerprint. A one-shot command asks several times (node
 * attributes for ${attr.*}, the health check before a run, the listing):
 * unless `fresh`, the first answer in this process is replayed (attributes
 * handed to fp->set_attribute again when set), since a driver such as docker
 * asks its daemon each time. The agent asks `fresh` on every round. */
int drover_plugin_fingerprint(drover_plugin *p, int fresh, drover_fingerprint *fp,
                              drover_err *err);
void drover_plugin_fingerprint_forget(drover_plugin *p);

/* The filesystem isolation the plugin declares in its capabilities: NONE
 * without a capabilities method (the SDK's meaning of NULL); IMAGE when the
 * method fails, so that what this decides (the host's environment reaching
 * the task, see taskenv.h) is withheld rather than leaked. */
drover_fs_isolation drover_plugin_fs_isolation(const drover_plugin *p);

/* True when `p` has method `member` within the descriptor size it declared and
 * the pointer is not NULL: methods beyond an older plugin's size are absent. */
#define DROVER_PLUGIN_HAS(p, member)                                                        \
	((p)->desc_size >= offsetof(drover_driver, member) + sizeof((p)->desc->member) &&       \
	 (p)->desc->member != NULL)

typedef struct drover_plugin_set {
	drover_plugin **plugins;     /* each allocated alone: init keeps &plugin->services */
	size_t count;
} drover_plugin_set;

/* Checks a descriptor against this host's ABI. Returns 0 or -EINVAL /
 * -EPROTO with err naming `path`, the plugin's ABI and the host's:
 *   different major, newer minor, struct_size 0 / smaller than the frozen
 *   prefix plus the 1.0 method set / larger than any size this host can vouch for
 *   while claiming our minor, missing name or a name outside [a-z0-9_], a required
 *   method NULL. */
int drover_loader_check_descriptor(const char *path, const drover_driver *desc, drover_err *err);

/* Opens one plugin file (lt_dlopen by full path, bound immediately), finds
 * the entry symbol, checks the descriptor. Does not call init. When libltdl
 * says only "file not found" for a file that exists, the message is the real
 * dynamic loader error (dlerror), which names a missing library or symbol. */
int drover_loader_open(const char *path, drover_plugin *out, drover_err *err);

/* ------------------------------------------------------------ probing */

/* Before a plugin is loaded into the host it is loaded once in a forked child
 * (host/loader_probe.c): a plugin that crashes or hangs while loading must
 * not take the host down or block it. The child enters each phase below in
 * turn, telling the parent first, so that a refusal names the step. */
#define DROVER_PROBE_PHASE_DLOPEN "dlopen"         /* constructors run here */
#define DROVER_PROBE_PHASE_ENTRY "entry"           /* drover_driver_entry_v1() */
#define DROVER_PROBE_PHASE_DESCRIPTOR "descriptor" /* the host reads the descriptor */
#define DROVER_PROBE_PHASE_INIT "init"
#define DROVER_PROBE_PHASE_SET_CONFIG "set_config"
#define DROVER_PROBE_PHASE_FINGERPRINT "fingerprint"

/* How long a probe may take, unless DROVER_PLUGIN_PROBE_TIMEOUT_MS (a positive
 * number of milliseconds) says otherwise. */
#define DROVER_PROBE_DEFAULT_TIMEOUT_MS 5000
long drover_probe_timeout_ms(void);

typedef struct drover_probe drover_probe;

/* In the child: tells the parent the step about to run. No-op when `probe`
 * is NULL (the in-process load shares the same code). */
void drover_probe_enter(drover_probe *probe, const char *phase);

/* Runs body(probe, data) in a forked child (which then _exits) and waits for
 * it until the deadline. Returns 0 when the child ran the body to its end
 * (whether or not the plugin turned out usable: the in-process load says why
 * not), else an error with err "<path>: crashed with SIGSEGV while loading
 * (in init): ...", "<path>: did not finish loading within 5 s (hung in
 * fingerprint): ..." or "<path>: exited with status N while loading (...)".
 * A child that does not finish in time is killed; every child is reaped. */
typedef void (*drover_probe_body)(drover_probe *probe, void *data);
int drover_probe_run(const char *path, drover_probe_body body, void *data, drover_err *err);

/* Scans `dir` for regular files named *.so (symlinks to regular files are
 * followed; directories and other names are skipped silently), opens each in
 * name order, refuses a driver name already loaded (naming both files) and
 * calls init with `services` (copied into each drover_plugin, with host_data
 * pointing at that plugin so logs are tagged) and then set_config with the
 * options returned by `options_for(name)` checked against the plugin schema.
 * Each plugin is first probed in a forked child (drover_probe_run: the same
 * steps, then fingerprint) and loaded in-process only when that child finished.
 * Each refused plugin adds one line to `errors` ("<path>: <reason>") and is
 * skipped; the others load. A file already in `set` (by path) is skipped.
 * Returns 0, or -ENOENT when `dir` cannot be read. */
typedef const drover_value *(*drover_plugin_options_fn)(void *data, const char *driver_name);
int drover_loader_load_dir(const char *dir, const drover_host *services,
                           drover_plugin_options_fn options_for, void *options_data,
                           drover_plugin_set *set, drover_errlist *errors);

/* Loads only `<dir>/<driver_name>.so` (a regular file or a symlink to one), the
 * way drover_loader_load_dir loads each file, so that a command that needs
 * one driver neither probes nor runs the others (a broken plugin next to it
 * then costs nothing and says nothing). Returns 0 when `driver_name` is then
 * in `set`; -ENOENT when there is no such file, or it failed to load (the
 * reason in `errors`), or it provides another driver: the caller falls back
 * to drover_loader_load_dir, which skips the files already in `set`. A file
 * named after its driver wins here even when a file earlier in name order
 * declares the same driver (drover_loader_load_dir refuses the later one). */
int drover_loader_load_named(const char *dir, const char *driver_name, const drover_host *services,
                             drover_plugin_options_fn options_for, void *options_data,
                             drover_plugin_set *set, drover_errlist *errors);

drover_plugin *drover_plugin_set_find(drover_plugin_set *set, const char *name);

/* fini and close every plugin. */
void drover_plugin_set_clear(drover_plugin_set *set);

#endif

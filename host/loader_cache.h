/* What a command learns about a plugin that the next one can reuse
 * (host/loader_cache.c): that its file passed the probe, and its latest
 * fingerprint.
 *
 * Every drover command used to probe each plugin it loaded in a forked child
 * and fingerprint it (three Engine API calls for docker), repeating what the
 * agent had just done: about 150 ms a command, and on a loaded host a docker
 * probe that timed out refused a healthy driver. Both answers are now kept in
 * <data_dir>/plugin-cache/ and reused:
 *   - a probe result while the plugin file is the same file (device, inode,
 *     size, modification time), the host's ABI is the same and the plugin's
 *     options in the agent config are the same: replacing the .so, upgrading
 *     drover or editing the options probes again;
 *   - a healthy fingerprint under the same conditions, and only while it is
 *     younger than DROVER_FINGERPRINT_CACHE_MAX_AGE_MS (below). The agent
 *     fingerprints every round and rewrites it; a command asks the driver
 *     itself when the answer is older or was not healthy (a daemon may be
 *     back: a stale "unhealthy" must not refuse a job), and writes what it
 *     got.
 *
 * The directory is the running user's alone (0700, files 0600, written to a
 * temporary name with O_EXCL|O_NOFOLLOW and renamed into place). A cache that
 * is not exactly that (another owner, group or other access, a symlink, a
 * hard link, a torn or foreign file) is never believed: the plugin is probed
 * and fingerprinted as if there were none, and a file we own is rewritten.
 * Another local user thus cannot make root skip a probe or believe a health.
 * Failures to write are silent: the cache only ever saves time. */
#ifndef DROVER_HOST_LOADER_CACHE_H
#define DROVER_HOST_LOADER_CACHE_H

#include <sys/stat.h>

#include "loader.h"

/* How old a cached fingerprint may be: two rounds of the agent's default
 * fingerprint period (client.fingerprint_interval, 30 s), so that a running
 * agent's answer is always fresh enough for a command, and without an agent a
 * command's answer is reused for a minute. DROVER_FINGERPRINT_CACHE_MAX_AGE_MS
 * (milliseconds, 0 = never reuse) overrides it. */
#define DROVER_FINGERPRINT_CACHE_DEFAULT_MAX_AGE_MS 60000
long long drover_fingerprint_cache_max_age_ms(void);

/* Where the caches live: <data_dir>/plugin-cache, created when first written
 * (the data dir itself is not created). NULL turns caching off, which is the
 * default: only a process that sets it (drover_context_open) reads or writes. */
void drover_loader_cache_set_data_dir(const char *data_dir);

/* The identity the caches are keyed by, from stat(2) of the plugin file. */
void drover_plugin_ident_from_stat(drover_plugin_ident *id, const struct stat *st);

/* A hash of a plugin's options (as the agent config gives them; NULL for none). */
unsigned long long drover_plugin_options_hash(const drover_value *options);

/* 1 when a probe of the file `path`, identified by `id`, passed for driver
 * `name` (copied out, up to `len`) with options of hash `*options_hash`. The
 * caller checks the hash against the options for that name. 0 otherwise. */
int drover_probe_cache_lookup(const char *path, const drover_plugin_ident *id, char *name,
                              size_t len, unsigned long long *options_hash);
/* Records that `p` passed its probe and loaded (p->ident, p->options_hash). */
void drover_probe_cache_store(const drover_plugin *p);

/* A fingerprint as a plugin gave it: kept per plugin in memory
 * (loader_fingerprint.c) and on disk. */
struct drover_fingerprint_cache {
	int rc;
	drover_err err;
	drover_health health;
	char description[DROVER_HEALTH_DESCRIPTION_MAX];
	char **keys;   /* attributes, in the order the driver set them */
	char **values;
	size_t count;
	int complete;  /* every attribute was kept (no allocation failed) */
};
void drover_fingerprint_cache_free(struct drover_fingerprint_cache *c);
/* Reads `p`'s cached fingerprint when it is healthy and younger than the max
 * age: a new record, or NULL. */
struct drover_fingerprint_cache *drover_fingerprint_cache_load(const drover_plugin *p);
/* Writes it, stamped now. */
void drover_fingerprint_cache_save(const drover_plugin *p, const struct drover_fingerprint_cache *c);

#endif

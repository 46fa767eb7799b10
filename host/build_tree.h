/* A drover that runs from its build tree finds its helpers and plugins there,
 * the way git's RUNTIME_PREFIX finds its parts relative to its own location. */
#ifndef DROVER_HOST_BUILD_TREE_H
#define DROVER_HOST_BUILD_TREE_H

/* When the running binary is <top>/host/drover of a configured build tree
 * (<top>/config.status and <top>/host/shim/drover-shim exist), points
 * drover-shim, drover-exec-init and drover-docker-logger at the built ones
 * (environment variables the operator set win) and returns 1; else 0 and
 * nothing changes: an installed drover uses its configured paths. */
int drover_build_tree_setup(void);

/* <top>/tests/plugins.d after drover_build_tree_setup() found a build tree
 * (`make` copies the built plugins there), else NULL. */
const char *drover_build_tree_plugin_dir(void);

#endif

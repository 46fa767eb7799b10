/* Making a task's image present: `load` from a tarball in the task's local/
 * directory, or pull (when absent, when its tag is "latest", or with
 * force_pull), with the task's `auth`, under image_pull_timeout and
 * pull_activity_timeout. Pull progress is read as it streams and reported
 * as "Pulling" task events (at most one every two seconds, and a last one when
 * the pull is complete); concurrent pulls of one image by tasks of the same
 * process are merged into one. */
#ifndef DROVER_DOCKER_IMAGE_H
#define DROVER_DOCKER_IMAGE_H

#include <drover/driver.h>

#include "docker_http.h"
#include "docker_settings.h"

/* Ensures the image of cfg->config is present; *image_id (malloc'd) gets its
 * id ("sha256:..."). */
int docker_image_ensure(docker_client *c, const docker_settings *s,
                        const drover_task_config *cfg, char **image_id, drover_err *err);

/* Ensures the plugin's infra_image (the pause container of group networks) is
 * present, pulling it when absent or tagged "latest" with the plugin's
 * registry credentials (auth.config, auth.helper) under
 * infra_image_pull_timeout. `who` starts every message. */
int docker_image_ensure_infra(docker_client *c, const docker_settings *s, const char *who,
                              char **image_id, drover_err *err);

/* Splits "host:5000/repo/name:tag" into a malloc'd repository and tag ("latest"
 * when none; a digest reference keeps "@sha256:..." in the repository and an
 * empty tag). */
int docker_image_parse_ref(const char *ref, char **repo, char **tag);

/* 1 when ref looks like an image reference the daemon accepts. */
int docker_image_ref_valid(const char *ref);

/* Formats the summary of a pull's progress, as the "Pulling" task event
 * says it. */
int docker_image_progress_summary(char *buf, size_t len, const char *image, size_t done,
                                  size_t layers, long long current, long long total);

/* Standard base64 with URL-safe alphabet, as X-Registry-Auth wants; malloc'd. */
char *docker_base64url(const char *data, size_t len);

#endif

/* Health and client attributes of the docker driver: the daemon answers or it
 * does not; when it does, driver.docker.* describe it (Nomad's spelling). */
#ifndef DROVER_DOCKER_FINGERPRINT_H
#define DROVER_DOCKER_FINGERPRINT_H

#include <drover/driver.h>

#include "docker_http.h"
#include "docker_settings.h"

int docker_fingerprint_run(docker_client *c, const docker_settings *s, drover_fingerprint *out,
                           drover_err *err);

#endif

/* libcurl, opened on first use (see docker_curl.h for why). */
#include <config.h>

#include "docker_curl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef DOCKER_LIBCURL_SONAME
#define DOCKER_LIBCURL_SONAME "libcurl.so.4"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static docker_curl_api api;
static int loaded;
static char why[DROVER_ERR_MESSAGE_MAX];

/* Binds `name` into *slot; 0 on success. The casts go through void * as POSIX
 * allows for dlsym's result. */
static int bind_symbol(void *lib, const char *name, void *slot, size_t size)
{
	void *sym = dlsym(lib, name);
	if (!sym) {
		snprintf(why, sizeof(why), "docker: %s has no symbol %s: install libcurl 7.50 or newer",
		         DOCKER_LIBCURL_SONAME, name);
		return -1;
	}
	memcpy(slot, &sym, size);
	return 0;
}

#define BIND(lib, field, symbol) bind_symbol((lib), (symbol), &api.field, sizeof(api.field))

static void load(void)
{
	/* Local: the driver's own symbols and libcurl's never mix with the
	 * host's or another plugin's. Now: a missing symbol fails here. */
	void *lib = dlopen(DOCKER_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *msg = dlerror();
		snprintf(why, sizeof(why), "docker: cannot load %s: %s (install the Debian package libcurl4)",
		         DOCKER_LIBCURL_SONAME, msg ? msg : "unknown dynamic loader error");
		return;
	}
	CURLcode (*global_init)(long flags) = NULL;
	if (bind_symbol(lib, "curl_global_init", &global_init, sizeof(global_init)) < 0 ||
	    BIND(lib, easy_init, "curl_easy_init") < 0 ||
	    BIND(lib, easy_setopt, "curl_easy_setopt") < 0 ||
	    BIND(lib, easy_getinfo, "curl_easy_getinfo") < 0 ||
	    BIND(lib, easy_perform, "curl_easy_perform") < 0 ||
	    BIND(lib, easy_cleanup, "curl_easy_cleanup") < 0 ||
	    BIND(lib, easy_strerror, "curl_easy_strerror") < 0 ||
	    BIND(lib, easy_recv, "curl_easy_recv") < 0 ||
	    BIND(lib, easy_send, "curl_easy_send") < 0 ||
	    BIND(lib, slist_append, "curl_slist_append") < 0 ||
	    BIND(lib, slist_free_all, "curl_slist_free_all") < 0)
		return; /* the handle stays open: harmless, and `why` says what failed */
	/* Once per process: curl_global_init is not thread-safe in every
	 * libcurl, and pthread_once serialises it. */
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, sizeof(why), "docker: libcurl failed to initialize");
		return;
	}
	loaded = 1;
}

const docker_curl_api *docker_curl(drover_err *err)
{
	pthread_once(&once, load);
	if (!loaded) {
		drover_err_set(err, -ELIBACC, "%s", why);
		return NULL;
	}
	return &api;
}

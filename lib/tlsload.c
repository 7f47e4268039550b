/* SPDX-License-Identifier: MIT */
/*
 * tlsload.c - finds and loads the TLS module (see tls.h).
 *
 * The module is looked for next to the library itself, never on a search
 * path or through the environment: in the package's directory under the
 * library's own ($libdir/smtp-probe/, where make install puts it), else
 * beside it (libtool's .libs/ of a build tree). So an installed copy, a
 * DESTDIR tree and the build tree each load their own module. RTLD_NODELETE
 * keeps it mapped once loaded: the dynamic loader holds it, not a global of
 * ours, and later loads are a lookup in the loader's list.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"

#ifdef SP_TLS_BUILTIN
/* Test and fuzz builds compile tls.c in. */
extern const struct sp_tls_ops smtpprobe_tls_module;

const struct sp_tls_ops *
sp_tls_load(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return &smtpprobe_tls_module;
}

#else

#define MODULE_NAME "smtpprobe-tls.so"

/* @return 0 with the module's path in @p buf, or -1. */
static int
module_path(char *buf, size_t len)
{
	Dl_info info;
	const char *slash;
	int dirlen, n;

	if (dladdr((void *)sp_tls_load, &info) == 0 || info.dli_fname == NULL ||
	    (slash = strrchr(info.dli_fname, '/')) == NULL)
		return -1;
	dirlen = (int)(slash - info.dli_fname);
	n = snprintf(buf, len, "%.*s/%s/%s", dirlen, info.dli_fname, PACKAGE, MODULE_NAME);
	if (n > 0 && (size_t)n < len && access(buf, F_OK) == 0)
		return 0;
	n = snprintf(buf, len, "%.*s/%s", dirlen, info.dli_fname, MODULE_NAME);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

const struct sp_tls_ops *
sp_tls_load(char *err, size_t errlen)
{
	char path[4096];
	const struct sp_tls_ops *ops;
	void *h;

	if (module_path(path, sizeof(path)) == -1) {
		snprintf(err, errlen, "TLS module not found: the library's own path is unknown");
		return NULL;
	}
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) == NULL) {
		snprintf(err, errlen, "TLS module not loaded: %s", dlerror());
		return NULL;
	}
	ops = (const struct sp_tls_ops *)dlsym(h, "smtpprobe_tls_module");
	if (ops == NULL || ops->version == NULL || strcmp(ops->version, PACKAGE_VERSION) != 0) {
		snprintf(err, errlen, "TLS module %s is not of version %s", path, PACKAGE_VERSION);
		ops = NULL;
	}
	dlclose(h); /* RTLD_NODELETE: it stays mapped, ops stays valid */
	return ops;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * modset.c - the modules file loaded and validated (see modset.h). A module
 * is exactly a plugin command line: the plugin's parser checks it, so the
 * exporter accepts what check_smtp_probe accepts and nothing else.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extraopts.h"
#include "modset.h"
#include "secret.h"

#define DUMMY_TARGET "localhost"

int
sp_module_config(const struct sp_module *m, const char *host, unsigned port,
	struct sp_config *cfg, char *err, size_t errlen)
{
	/* The parser blanks a password where it finds it: it gets copies. */
	size_t n = m->args.n + 6;
	char **argv = calloc(n, sizeof(*argv));
	char portbuf[16];
	size_t k = 0;
	int rc = -1;

	if (argv == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	argv[k++] = strdup("smtp_probe_exporter");
	for (size_t i = 0; i < m->args.n; i++)
		argv[k++] = strdup(m->args.v[i]);
	argv[k++] = strdup(m->mx ? "-M" : "-H");
	argv[k++] = strdup(host);
	if (port != 0) {
		snprintf(portbuf, sizeof(portbuf), "%u", port);
		argv[k++] = strdup("-p");
		argv[k++] = strdup(portbuf);
	}
	for (size_t i = 0; i < k; i++)
		if (argv[i] == NULL)
			goto out;
	if (k <= INT_MAX && sp_options_parse((int)k, argv, cfg, err, errlen) == SP_RUN)
		rc = 0;
	else if (err[0] == '\0')
		snprintf(err, errlen, "not a check (--help or --version)");
out:
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < k; i++)
		sp_wipe_free(argv[i]);
	free(argv);
	return rc;
}

/* A module's options as the parser takes them, and what a probe of it needs. */
static int
validate(struct sp_modset *ms, size_t i, char *err, size_t errlen)
{
	const struct sp_module *m = &ms->mods.v[i];
	struct sp_config cfg;
	char why[512];
	int rc = -1;

	if (sp_module_config(m, DUMMY_TARGET, 0, &cfg, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "module [%s]: %s", m->name, why);
		return -1;
	}
	/* Whatever abbreviation got past modules.c: the output is the exporter's. */
	if (cfg.output != SP_OUTPUT_NAGIOS || cfg.transcript != NULL || cfg.verbose != 0 ||
	    smtpprobe_opts_host_count(cfg.lib) != (m->mx ? 0u : 1u))
		snprintf(err, errlen, "module [%s]: a module sets neither the target nor the output",
			m->name);
	else {
		ms->timeout_ms[i] = smtpprobe_opts_timeout_ms(cfg.lib);
		rc = 0;
	}
	/* Made for every module: its options do not say whether it uses TLS (-S, -s, CRAM-MD5). */
	if (rc == 0 &&
	    (ms->tls[i] = smtpprobe_tlsctx_new(cfg.lib, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "module [%s]: %s", m->name, why);
		rc = -1;
	}
	sp_config_free(&cfg);
	return rc;
}

struct sp_modset *
sp_modset_load(const char *path, char *err, size_t errlen)
{
	struct sp_modset *ms = calloc(1, sizeof(*ms));
	struct sp_ini_section *secs = NULL;
	size_t nsecs = 0;
	int rc;

	if (ms == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ms->refs = 1;
	if (sp_extraopts_load_all(path, &secs, &nsecs, err, errlen) < 0)
		goto fail;
	rc = sp_modules_from_ini(secs, nsecs, &ms->mods, err, errlen);
	sp_extraopts_free_all(secs, nsecs);
	if (rc < 0)
		goto fail;
	if (ms->mods.n == 0) {
		snprintf(err, errlen, "%s: no module (an ini [section] each)", path);
		goto fail;
	}
	ms->tls = calloc(ms->mods.n, sizeof(*ms->tls));
	ms->timeout_ms = calloc(ms->mods.n, sizeof(*ms->timeout_ms));
	if (ms->tls == NULL || ms->timeout_ms == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < ms->mods.n; i++)
		if (validate(ms, i, err, errlen) < 0)
			goto fail;
	return ms;
fail:
	sp_modset_unref(ms);
	return NULL;
}

void
sp_modset_ref(struct sp_modset *ms)
{
	ms->refs++;
}

void
sp_modset_unref(struct sp_modset *ms)
{
	if (ms == NULL || --ms->refs > 0)
		return;
	for (size_t i = 0; ms->tls != NULL && i < ms->mods.n; i++)
		smtpprobe_tlsctx_free(ms->tls[i]);
	free(ms->tls);
	free(ms->timeout_ms);
	sp_modules_free(&ms->mods);
	free(ms);
}

/* SPDX-License-Identifier: MIT */
/*
 * modset.c - the modules file loaded and validated (see modset.h). A module
 * is exactly a plugin command line: the plugin's parser checks it, so the
 * exporter accepts what check_smtp_probe accepts and nothing else.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extraopts.h"
#include "modset.h"
#include "secret.h"

#define DUMMY_TARGET "localhost"

/* The plugin's own parse of module @p m's options and -H/-M @p host [-p @p port]. */
static int
module_config(const struct sp_module *m, const char *host, unsigned port,
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

/*
 * A module's options as the parser takes them, kept for its probes (a
 * parse per probe was 6 % of the exporter's instructions per probe), and
 * its shared TLS context.
 */
static int
validate(struct sp_modset *ms, size_t i, char *err, size_t errlen)
{
	const struct sp_module *m = &ms->mods.v[i];
	struct sp_config *cfg = &ms->cfg[i];
	char why[512];

	if (module_config(m, DUMMY_TARGET, 0, cfg, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "module [%s]: %s", m->name, why);
		return -1;
	}
	/* Whatever abbreviation got past modules.c: the output is the exporter's. */
	if (cfg->output != SP_OUTPUT_NAGIOS || cfg->transcript != NULL || cfg->verbose != 0 ||
	    smtpprobe_opts_host_count(cfg->lib) != (m->mx ? 0u : 1u)) {
		snprintf(err, errlen, "module [%s]: a module sets neither the target nor the output",
			m->name);
		return -1;
	}
	/* Made for every module: its options do not say whether it uses TLS (-S, -s, CRAM-MD5). */
	if ((ms->tls[i] = smtpprobe_tlsctx_new(cfg->lib, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "module [%s]: %s", m->name, why);
		return -1;
	}
	return 0;
}

static bool
is_ip(const char *s)
{
	unsigned char bin[16];

	return inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

int
sp_modset_probe_config(const struct sp_modset *ms, size_t i, const char *host, unsigned port,
	struct sp_config *cfg, char *err, size_t errlen)
{
	const struct sp_config *mc = &ms->cfg[i];
	unsigned p = port != 0 ? port : smtpprobe_opts_port(mc->lib);
	smtpprobe_opts *o;
	int rc;

	/* The one rule of the parser's that depends on the host (its syntax is
	 * sp_target_parse()'s, stricter than the parser's). */
	if (smtpprobe_opts_dane(mc->lib) != SMTPPROBE_DANE_OFF && is_ip(host)) {
		snprintf(err, errlen, "--dane needs a host name, not an IP address: TLSA records belong to names");
		return -1;
	}
	if ((o = smtpprobe_opts_dup(mc->lib)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = ms->mods.v[i].mx ? smtpprobe_opts_set_mx(o, host, p) : smtpprobe_opts_set_host(o, host, p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", host, strerror(errno));
		smtpprobe_opts_free(o);
		return -1;
	}
	*cfg = *mc;
	cfg->lib = o;
	return 0;
}

void
sp_modset_probe_config_free(struct sp_config *cfg)
{
	smtpprobe_opts_free(cfg->lib);
	cfg->lib = NULL;
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
	ms->cfg = calloc(ms->mods.n, sizeof(*ms->cfg));
	if (ms->tls == NULL || ms->cfg == NULL) {
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
	for (size_t i = 0; ms->cfg != NULL && i < ms->mods.n; i++)
		sp_config_free(&ms->cfg[i]);
	free(ms->tls);
	free(ms->cfg);
	sp_modules_free(&ms->mods);
	free(ms);
}

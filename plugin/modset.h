/* SPDX-License-Identifier: MIT */
/*
 * modset.h - one load of smtp_probe_exporter's modules file: the modules
 * (modules.h), each validated by the plugin's own option parser, and what a
 * probe of each needs made once (its deadline, its shared TLS context).
 * Reference-counted: a reload replaces the set while probes of the old one
 * still run, and the last of them frees it.
 */
#ifndef SP_MODSET_H
#define SP_MODSET_H

#include <smtpprobe.h>

#include "cfg.h"
#include "modules.h"

struct sp_modset {
	struct sp_modules mods;
	struct sp_config *cfg;   /* per module: parsed once, with a dummy target */
	smtpprobe_tlsctx **tls;  /* per module; NULL without TLS */
	unsigned refs;
};

/*
 * Reads and validates @p path whole: any section that does not parse, as
 * a plugin command line with a dummy target, fails the load.
 * @return a set holding one reference, or NULL with the reason in @p err.
 */
struct sp_modset *sp_modset_load(const char *path, char *err, size_t errlen);
void sp_modset_ref(struct sp_modset *ms);
/* Drops a reference; the last frees the set. NULL is fine. */
void sp_modset_unref(struct sp_modset *ms);

/*
 * The configuration of one probe of module @p i, as if its options were
 * followed by -H @p host (-M with an mx module) and -p @p port (0: the
 * module's): the module's, parsed at load, with its own library options
 * aimed at the target. Everything else is borrowed from the set, which must
 * outlive it (hold a reference). @return 0, or -1 with the reason in @p err.
 */
int sp_modset_probe_config(const struct sp_modset *ms, size_t i, const char *host, unsigned port,
	struct sp_config *cfg, char *err, size_t errlen);
/* Frees what sp_modset_probe_config() made (not what it borrowed). */
void sp_modset_probe_config_free(struct sp_config *cfg);

#endif

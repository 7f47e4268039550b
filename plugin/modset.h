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
	smtpprobe_tlsctx **tls;  /* per module; NULL without TLS */
	unsigned *timeout_ms;    /* per module: its -t */
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
 * The plugin configuration of one probe of module @p m: its options, then
 * -H @p host (or -M with an mx module) and -p @p port (0: the module's).
 * @return 0, or -1 with the parser's reason in @p err.
 */
int sp_module_config(const struct sp_module *m, const char *host, unsigned port,
	struct sp_config *cfg, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * resconf.h - the resolver udns 0.4 asks when none is given, found the way
 * its dns_init() finds it, so that a query asked again over TCP goes to the
 * resolver whose AD bit we trust (udns has no getter for its servers).
 * Pure: text in, an address out; reading the file and the environment is
 * the caller's.
 */
#ifndef SP_RESCONF_H
#define SP_RESCONF_H

#include <stddef.h>

/* dns_init() reads this much of /etc/resolv.conf. */
#define SP_RESCONF_READ 2048

/* The environment dns_init() reads (each NULL when unset). */
struct sp_resconf_env {
	const char *nscacheip;    /* $NSCACHEIP: servers, before $NAMESERVERS */
	const char *nameservers;  /* $NAMESERVERS */
	const char *res_options;  /* $RES_OPTIONS: "port:N" and others */
};

/*
 * The first server udns will ask: the first IPv4/IPv6 literal of
 * $NSCACHEIP (else $NAMESERVERS) when that variable is set, else of the
 * "nameserver" lines of @p conf (resolv.conf text, may be NULL); 127.0.0.1
 * when there is none, as udns does. The port is 53 unless an "options
 * port:N" line of @p conf or $RES_OPTIONS says otherwise (the latter wins).
 * Writes the address as text to @p addr. @return 0, or -1 when @p addrlen
 * is too small.
 */
int sp_resconf_server(const char *conf, const struct sp_resconf_env *env, char *addr,
	size_t addrlen, unsigned *port);

#endif

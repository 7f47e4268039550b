/* SPDX-License-Identifier: MIT */
/*
 * rdns.h - forward-confirmed reverse DNS of one address (FCrDNS): its PTR
 * names, then each name's addresses, until one gives the address back.
 * Like every lookup here it completes exactly once, also when cancelled.
 */
#ifndef SP_RDNS_H
#define SP_RDNS_H

#include <sys/socket.h>

#include "smtpprobe.h"

struct sp_resolver;
struct sp_rdns;

/*
 * @param ptr the PTR name (the confirmed one when any), or "".
 * @param text the outcome in words, or "" when cancelled.
 * Both live only for the call.
 */
typedef void (*sp_rdns_fn)(void *arg, smtpprobe_rdns state, const char *ptr, const char *text);

/* @return the lookup of @p ss (IPv4 or IPv6), or NULL (errno) and then no callback. */
struct sp_rdns *sp_rdns_start(struct sp_resolver *rs, const struct sockaddr_storage *ss,
	sp_rdns_fn cb, void *arg);
/* Completes @p r now, with SMTPPROBE_RDNS_NONE. */
void sp_rdns_cancel(struct sp_rdns *r);

#endif

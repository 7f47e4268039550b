/* SPDX-License-Identifier: MIT */
/*
 * addr.c - socket addresses to text, ports and lengths: the one place that
 * knows how sockaddr_in and sockaddr_in6 differ, so the probe, the
 * transport, the dialog and reverse DNS all write an address the same way.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* @return the IP address inside @p ss, or NULL for another family. */
static const void *
ip_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (ss->ss_family == AF_INET)
		return &((const struct sockaddr_in *)ss)->sin_addr;
	return NULL;
}

const char *
sp_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *ip = ip_of(ss);

	if (len == 0)
		return NULL;
	if (ip == NULL || inet_ntop(ss->ss_family, ip, buf, (socklen_t)len) == NULL) {
		buf[0] = '\0';
		return NULL;
	}
	return buf;
}

const char *
sp_addr_literal(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	int n;

	if (sp_addr_text(ss, text, sizeof(text)) == NULL) {
		if (len > 0)
			buf[0] = '\0';
		return NULL;
	}
	n = snprintf(buf, len, "[%s%s]", ss->ss_family == AF_INET6 ? "IPv6:" : "", text);
	/* A truncated literal would name another address: none at all is safer. */
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return NULL;
	}
	return buf;
}

unsigned
sp_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return 0;
}

void
sp_addr_set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

socklen_t
sp_addr_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	if (ss->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	return 0;
}

bool
sp_addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const void *ia = ip_of(a), *ib = ip_of(b);

	if (ia == NULL || ib == NULL || a->ss_family != b->ss_family)
		return false;
	return memcmp(ia, ib, a->ss_family == AF_INET6 ?
	    sizeof(struct in6_addr) : sizeof(struct in_addr)) == 0;
}

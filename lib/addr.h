/* SPDX-License-Identifier: MIT */
/*
 * addr.h - an IPv4 or IPv6 socket address as the library writes and dials
 * it: its text, its address literal, its port, its length. Pure: no
 * sockets, no DNS. Every function takes a sockaddr_storage, so setting a
 * port never writes past the end of a smaller structure.
 */
#ifndef SP_ADDR_H
#define SP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * Writes the address of @p ss, without its port, into @p buf ("192.0.2.1",
 * "2001:db8::1"); INET6_ADDRSTRLEN bytes fit any. @return @p buf, or NULL
 * (and @p buf "" when @p len allows) when @p ss is neither IPv4 nor IPv6
 * or the text does not fit.
 */
const char *sp_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len);
/*
 * Writes the RFC 5321 4.1.3 address literal of @p ss: "[192.0.2.1]",
 * "[IPv6:2001:db8::1]". @return @p buf, or NULL as sp_addr_text().
 */
const char *sp_addr_literal(const struct sockaddr_storage *ss, char *buf, size_t len);
/* @return the port in host order, 0 when @p ss is neither IPv4 nor IPv6. */
unsigned sp_addr_port(const struct sockaddr_storage *ss);
/* Sets the port (host order); an address of another family is left alone. */
void sp_addr_set_port(struct sockaddr_storage *ss, unsigned port);
/* @return the length connect() wants for @p ss, 0 when neither IPv4 nor IPv6. */
socklen_t sp_addr_len(const struct sockaddr_storage *ss);
/* @return true when @p a and @p b hold the same IP address, ports aside. */
bool sp_addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif

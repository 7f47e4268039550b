/* SPDX-License-Identifier: MIT */
/*
 * memconn.h - the harness's side of the in-memory transport (memconn.c),
 * which stands in for lib/transport.c in fuzz_dialog.
 */
#ifndef SP_MEMCONN_H
#define SP_MEMCONN_H

#include <stdbool.h>
#include <stddef.h>

#define MEMCONN_OUT_MAX (1024 * 1024)

/* What the client sent on the current connection. */
struct memconn_out {
	char *buf;          /* NUL-terminated copy of every byte written */
	size_t len;
	unsigned writes;
	unsigned late_writes; /* after the connection was stopped or closed */
	unsigned tls_starts;
	bool tls_up;
};

/* Whether a TLS switch the client asks for succeeds. */
void memconn_set_tls(bool succeeds);
/*
 * Hands server bytes to the client (len 0: the server closes). @return
 * true while the connection still reads.
 */
bool memconn_feed(const char *data, size_t len);
/* @return the current connection's output, or NULL when there is none. */
const struct memconn_out *memconn_output(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * evbase.h - the event loop both programs run their probes on.
 */
#ifndef SP_EVBASE_H
#define SP_EVBASE_H

struct event_base;

/* @return a new event_base, or NULL. */
struct event_base *sp_event_base_new(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * evbase.c - the event loop, made the same way for the plugin and the
 * exporter.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <event2/event.h>

#include "evbase.h"

/*
 * With epoll, libevent's change list folds the add and delete of a write
 * event around each command into nothing: 12 epoll_ctl calls a dialog
 * become 4. (Its one caveat, dup()ed descriptors, does not arise here:
 * neither the dialogs nor evhttp duplicate a descriptor.)
 */
struct event_base *
sp_event_base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (ec == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

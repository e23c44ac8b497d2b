/* SPDX-License-Identifier: ISC */
#ifndef SPA_NOTIFY_H
#define SPA_NOTIFY_H

/* Tell the service manager our state ("READY=1", "RELOADING=1", ...) with
 * the sd_notify datagram written directly; a no-op without NOTIFY_SOCKET. */
void notify_send(const char *state);

#endif

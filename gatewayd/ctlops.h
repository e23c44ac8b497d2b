/* SPDX-License-Identifier: ISC */
/* The control socket's requests, answered from the daemon's state. */
#ifndef SPA_CTLOPS_H
#define SPA_CTLOPS_H

#include "control.h"

/* The operations control_serve runs for spa-admin; their arg is the
 * daemon (daemon_int.h). */
extern const struct control_ops ctlops;

#endif

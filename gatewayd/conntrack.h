/* SPDX-License-Identifier: ISC */
#ifndef SPA_CONNTRACK_H
#define SPA_CONNTRACK_H

/* Cutting established connections: conntrack entries deleted through
 * ctnetlink (libmnl). Without this, "ct state established" keeps a revoked
 * agent's connections alive. */

#include <stddef.h>

#include "fw.h"

/* Delete every conntrack entry whose original direction matches one of the
 * openings (source, protocol, destination port in range, and destination
 * address when the opening has one). Returns the number deleted, or -1. */
long conntrack_kill(const struct fw_elem *e, size_t n);

#endif

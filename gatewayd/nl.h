/* SPDX-License-Identifier: ISC */
/* Netlink to nf_tables: a socket, a message buffer, batches and ACKs. */
#ifndef SPA_NL_H
#define SPA_NL_H

/*
 * Messages are built in place, one after another: a batch
 * (NFNL_MSG_BATCH_BEGIN ... END), which the kernel applies all or nothing,
 * or a query (GET requests, answered one by one). Every message asks for an
 * ACK. Nothing here reports: errors come back as errno values for the
 * caller, which knows what was being done, to report.
 */

#include <stdint.h>

#define NL_MSG_ROOM	16384		/* bytes each message may take */

struct nl;
struct nlmsghdr;

/* Open and bind a netfilter netlink socket; NULL with errno set. */
struct nl *nl_open(void);

/* Close the socket and free the buffer; NULL is a no-op. */
void nl_close(struct nl *l);

/* Empty the buffer and start a batch; 0, or -1 when out of memory. */
int nl_batch_begin(struct nl *l);

/* Empty the buffer for a query: messages sent as they are, unframed. */
void nl_query_begin(struct nl *l);

/* Start a message of family asking for an ACK; its payload goes in before
 * the next one starts. NULL when out of memory. */
struct nlmsghdr *nl_msg(struct nl *l, uint16_t type, uint16_t family,
    uint16_t flags);

/* End the batch, send it and read its ACKs: 0 (an empty batch is not sent),
 * or the first error (an errno). */
int nl_commit(struct nl *l);

/* Send the query and read its answers: gone[i] becomes 1 if message i was
 * answered ENOENT, else 0; returns 0, or the first other error (an errno). */
int nl_query(struct nl *l, uint8_t *gone);

/* The type of the message the kernel refused in the last exchange, 0 if
 * none was. */
uint16_t nl_errtype(const struct nl *l);

#endif

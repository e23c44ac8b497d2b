/* SPDX-License-Identifier: ISC */
/* Step 1: knocks sniffed with libpcap, the kernel filter, frames parsed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "diag.h"
#include "knock.h"

/* Room for the largest knock behind Ethernet, VLAN, IPv6 and UDP headers. */
#define SNAPLEN (KNOCK_MAX_LEN + 14 + 8 + 40 + 8)
/* The kernel's ring (libpcap's immediate mode uses fixed frames, sized for
 * the largest knock): what a flood may queue while the loop is away. */
#define BUFFER_SIZE (8 * 1024 * 1024)

struct capture {
	pcap_t *p;
	int dlt;
	int offline;
	uint16_t port;
	capture_fn fn;
	void *arg;
};

static int
set_filter(struct capture *c, const char *name)
{
	struct bpf_program prog;
	char expr[256];

	/* Whole-frame bounds are loose; capture_parse checks exactly. */
	snprintf(expr, sizeof(expr),
	    "udp dst port %u and greater %u and less %u", (unsigned)c->port,
	    (unsigned)(KNOCK_MIN_LEN + 28), (unsigned)SNAPLEN);
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		diag(name, 0, "bad capture filter: %s", pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) != 0) {
		diag(name, 0, "cannot set capture filter: %s", pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

static struct capture *
finish(struct capture *c, const char *name)
{
	c->dlt = pcap_datalink(c->p);
	if (c->dlt != DLT_EN10MB && c->dlt != DLT_RAW && c->dlt != DLT_LINUX_SLL &&
	    c->dlt != DLT_LINUX_SLL2) {
		diag(name, 0, "unsupported link type %s",
		    pcap_datalink_val_to_name(c->dlt));
		goto fail;
	}
	if (set_filter(c, name) != 0)
		goto fail;
	return c;
fail:
	capture_close(c);
	return NULL;
}

/* A capture on the pcap handle open() makes of name; NULL on error. */
static struct capture *
capture_new(const char *name, uint16_t port, int offline,
    pcap_t *(*open)(const char *, char *))
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		diag(name, 0, "capture: out of memory");
		return NULL;
	}
	c->port = port;
	c->offline = offline;
	if ((c->p = open(name, err)) == NULL) {
		diag(name, 0, "capture: %s", err);
		free(c);
		return NULL;
	}
	return c;
}

struct capture *
capture_open_live(const char *iface, uint16_t port)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = capture_new(iface, port, 0, pcap_create);

	if (c == NULL)
		return NULL;
	/* Immediate mode: a knock is handled as it arrives, not per block. */
	if (pcap_set_snaplen(c->p, SNAPLEN) != 0 ||
	    pcap_set_immediate_mode(c->p, 1) != 0 ||
	    pcap_set_buffer_size(c->p, BUFFER_SIZE) != 0 ||
	    pcap_set_promisc(c->p, 0) != 0) {
		diag(iface, 0, "capture: cannot configure");
		goto fail;
	}
	if (pcap_activate(c->p) < 0) {
		diag(iface, 0, "capture: %s", pcap_geterr(c->p));
		goto fail;
	}
	if (pcap_setnonblock(c->p, 1, err) != 0) {
		diag(iface, 0, "capture: %s", err);
		goto fail;
	}
	return finish(c, iface);
fail:
	capture_close(c);
	return NULL;
}

struct capture *
capture_open_file(const char *path, uint16_t port)
{
	struct capture *c = capture_new(path, port, 1, pcap_open_offline);

	return c ? finish(c, path) : NULL;
}

void
capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		pcap_close(c->p);
	free(c);
}

int
capture_fd(const struct capture *c)
{
	return c->offline ? -1 : pcap_get_selectable_fd(c->p);
}

unsigned
capture_drops(struct capture *c)
{
	struct pcap_stat st;

	return pcap_stats(c->p, &st) == 0 ? st.ps_drop : 0;
}

static int
parse_ip(const uint8_t *p, size_t len, uint16_t port, struct knock_pkt *k)
{
	size_t hl, total;
	const uint8_t *udp;
	uint16_t ulen;

	if (len < 1)
		return -1;
	memset(k, 0, sizeof(*k));
	if ((p[0] >> 4) == 4) {
		if (len < 20 || (hl = (size_t)(p[0] & 0x0f) * 4) < 20 || len < hl)
			return -1;
		total = (size_t)p[2] << 8 | p[3];
		/* No fragments: a knock is one datagram. */
		if (p[9] != 17 || total < hl || total > len ||
		    (p[6] & 0x3f) != 0 || p[7] != 0)
			return -1;
		k->src.family = k->dst.family = 4;
		memcpy(k->src.bytes, p + 12, 4);
		memcpy(k->dst.bytes, p + 16, 4);
	} else if ((p[0] >> 4) == 6) {
		if (len < 40 || p[6] != 17)
			return -1;
		hl = 40;
		total = 40 + ((size_t)p[4] << 8 | p[5]);
		if (total > len)
			return -1;
		k->src.family = k->dst.family = 6;
		memcpy(k->src.bytes, p + 8, 16);
		memcpy(k->dst.bytes, p + 24, 16);
	} else {
		return -1;
	}
	if (total - hl < 8)
		return -1;
	udp = p + hl;
	ulen = (uint16_t)(udp[4] << 8 | udp[5]);
	if ((uint16_t)(udp[2] << 8 | udp[3]) != port || ulen < 8 ||
	    ulen > total - hl)
		return -1;
	k->sport = (uint16_t)(udp[0] << 8 | udp[1]);
	k->data = udp + 8;
	k->len = ulen - 8u;
	return 0;
}

int
capture_parse(int dlt, const uint8_t *f, size_t len, uint16_t port,
    struct knock_pkt *k)
{
	size_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_RAW:
		return parse_ip(f, len, port, k);
	case DLT_EN10MB:
		if (len < 14)
			return -1;
		type = (uint16_t)(f[12] << 8 | f[13]);
		off = 14;
		if (type == 0x8100 && len >= 18) {	/* one VLAN tag */
			type = (uint16_t)(f[16] << 8 | f[17]);
			off = 18;
		}
		break;
	case DLT_LINUX_SLL:
		if (len < 16)
			return -1;
		type = (uint16_t)(f[14] << 8 | f[15]);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (len < 20)
			return -1;
		type = (uint16_t)(f[0] << 8 | f[1]);
		off = 20;
		break;
	default:
		return -1;
	}
	if (type != 0x0800 && type != 0x86dd)
		return -1;
	return parse_ip(f + off, len - off, port, k);
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;
	struct knock_pkt k;

	if (h->caplen != h->len)
		return;			/* truncated: not a knock */
	if (capture_parse(c->dlt, bytes, h->caplen, c->port, &k) != 0)
		return;
	if (!c->offline && h->ts.tv_sec > 0 && h->ts.tv_usec >= 0)
		k.arrived_us = (uint64_t)h->ts.tv_sec * 1000000u +
		    (uint64_t)h->ts.tv_usec;
	c->fn(&k, c->arg);
}

int
capture_dispatch(struct capture *c, int max, capture_fn fn, void *arg)
{
	int n;

	c->fn = fn;
	c->arg = arg;
	n = pcap_dispatch(c->p, max, on_packet, (u_char *)c);
	if (n == PCAP_ERROR) {
		diag(NULL, 0, "capture: %s", pcap_geterr(c->p));
		return -1;
	}
	if (n == 0 && c->offline)
		return -2;		/* offline file exhausted */
	return n;
}

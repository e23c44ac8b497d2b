/* SPDX-License-Identifier: ISC */
/* The audit log: one JSON line per decision, refusals under a budget. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "diag.h"
#include "keys.h"
#include "bucket.h"
#include "util.h"

#define REFUSAL_RATE 50		/* lines per second */
#define REFUSAL_BURST 200

static const char *const names[REASON_COUNT] = {
	[REASON_OK] = "ok",
	[REASON_MALFORMED] = "malformed",
	[REASON_UNKNOWN_KEY] = "unknown_key",
	[REASON_STALE] = "stale",
	[REASON_REPLAY] = "replay",
	[REASON_RATE_LIMITED] = "rate_limited",
	[REASON_BAD_AUTH] = "bad_auth",
	[REASON_BAD_SIGNATURE] = "bad_signature",
	[REASON_WRONG_GATEWAY] = "wrong_gateway",
	[REASON_NOT_ENTITLED] = "not_entitled",
	[REASON_REVOKED] = "revoked",
	[REASON_EXPIRED] = "expired",
	[REASON_ADDRESS_MISMATCH] = "address_mismatch",
	[REASON_FIREWALL_ERROR] = "firewall_error",
};

struct audit {
	FILE *f;
	struct bucket budget;
	uint64_t count[REASON_COUNT];
	uint64_t held[REASON_COUNT];
	uint64_t held_total;
};

const char *
audit_reason_name(enum reason r)
{
	return r < REASON_COUNT ? names[r] : "unknown";
}

struct audit *
audit_open(const char *path)
{
	struct audit *a;
	int fd;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || (a->f = fdopen(fd, "a")) == NULL) {
		diag(path, 0, "cannot open audit log: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(a);
		return NULL;
	}
	/* Fully buffered: the engine flushes once per burst of knocks. */
	setvbuf(a->f, NULL, _IOFBF, 1 << 16);
	return a;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	audit_tick(a, util_now_ms());
	fclose(a->f);
	free(a);
}

/* Names in the log are validated names; escape anyway, never trust. */
static void
put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
write_rec(struct audit *a, const struct audit_rec *r, uint64_t now_ms)
{
	char t[32], addr[SPA_ADDR_STRLEN], hex[2 * KEY_ID_LEN + 1];
	FILE *f = a->f;

	fprintf(f, "{\"time\":\"%s\",\"agent\":", util_fmt_rfc3339_ms(now_ms, t));
	if (r->agent)
		put_str(f, r->agent);
	else
		fputs("null", f);
	if (r->key_id) {
		util_hex(r->key_id, KEY_ID_LEN, hex);
		fprintf(f, ",\"key_id\":\"%s\"", hex);
	} else {
		fputs(",\"key_id\":null", f);
	}
	fprintf(f, ",\"source\":\"%s\"", addr_fmt(r->src, addr));
	if (r->addr)
		fprintf(f, ",\"address\":\"%s\"", addr_fmt(r->addr, addr));
	else
		fputs(",\"address\":null", f);
	fputs(",\"resources\":[", f);
	for (size_t i = 0; i < r->nres; i++) {
		if (i)
			fputc(',', f);
		put_str(f, r->res[i]);
	}
	fprintf(f, "],\"decision\":\"%s\",\"reason\":\"%s\",\"duration\":%u",
	    r->reason == REASON_OK ? "accept" : "refuse", names[r->reason],
	    (unsigned)r->duration);
	if (r->expires_ms)
		fprintf(f, ",\"expires\":\"%s\"}\n",
		    util_fmt_rfc3339_ms(r->expires_ms, t));
	else
		fputs(",\"expires\":null}\n", f);
}

void
audit_log(struct audit *a, const struct audit_rec *r, uint64_t now_ms)
{
	if (r->reason >= REASON_COUNT)
		return;
	a->count[r->reason]++;
	if (r->reason != REASON_OK &&
	    bucket_take(&a->budget, now_ms, REFUSAL_RATE, REFUSAL_BURST) != 0) {
		a->held[r->reason]++;
		a->held_total++;
		return;
	}
	write_rec(a, r, now_ms);
}

enum reason
audit_refuse(struct audit *a, struct audit_rec *rec, enum reason r, uint64_t now_ms)
{
	rec->reason = r;
	audit_log(a, rec, now_ms);
	return r;
}

void
audit_tick(struct audit *a, uint64_t now_ms)
{
	char t[32];
	int first = 1;

	if (a->held_total == 0) {
		fflush(a->f);
		return;
	}
	fprintf(a->f, "{\"time\":\"%s\",\"decision\":\"summary\",\"suppressed\":%llu,"
	    "\"reasons\":{", util_fmt_rfc3339_ms(now_ms, t),
	    (unsigned long long)a->held_total);
	for (int i = 0; i < REASON_COUNT; i++) {
		if (a->held[i] == 0)
			continue;
		fprintf(a->f, "%s\"%s\":%llu", first ? "" : ",", names[i],
		    (unsigned long long)a->held[i]);
		first = 0;
	}
	fputs("}}\n", a->f);
	memset(a->held, 0, sizeof(a->held));
	a->held_total = 0;
	fflush(a->f);
}

void
audit_flush(struct audit *a)
{
	fflush(a->f);
}

uint64_t
audit_count(const struct audit *a, enum reason r)
{
	return r < REASON_COUNT ? a->count[r] : 0;
}

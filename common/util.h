/* SPDX-License-Identifier: ISC */
#ifndef SPA_UTIL_H
#define SPA_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Decimal unsigned integer in [min, max]; no sign, no base prefix, no junk. */
int util_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Wall clock in milliseconds and seconds since the epoch. */
uint64_t util_now_ms(void);
/* The same clock in microseconds. */
uint64_t util_now_us(void);
/* Monotonic clock in milliseconds. */
uint64_t util_mono_ms(void);

/* "2026-01-02T03:04:05Z" (or with a +hh:mm offset) to seconds since the epoch. */
int util_parse_rfc3339(const char *s, int64_t *out);
/* Format seconds (UTC) as RFC 3339; buf must hold 32 bytes. */
const char *util_fmt_rfc3339(int64_t t, char buf[32]);
/* Format milliseconds (UTC) as RFC 3339 with milliseconds; buf holds 32. */
const char *util_fmt_rfc3339_ms(uint64_t ms, char buf[32]);

/* Base64 (standard, padded) of exactly len bytes; 0 or -1. */
int util_b64_decode(const char *s, uint8_t *out, size_t len);
/* Encode into out (size at least sodium_base64_ENCODED_LEN(len, ...)). */
void util_b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* Lower-case hex of len bytes into out (2 * len + 1). */
void util_hex(const uint8_t *in, size_t len, char *out);

/* Write path atomically: temp file in the same directory, fsync, rename,
 * fsync the directory. Refuses to replace an existing file unless replace. */
int util_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
    int replace);

/* A name made of [a-z0-9_.-], 1..63 chars, not starting with '.' or '-'. */
int util_valid_name(const char *s);

/* Copy src into dst of size n; -1 if it does not fit. */
int util_strlcpy(char *dst, const char *src, size_t n);

/* Trim ASCII white space in place; returns s. */
char *util_trim(char *s);

/* FNV-1a over n bytes, continuing from h (UTIL_HASH_INIT to start), for the
 * open-addressing tables of names and keys; not keyed, and its low bits are
 * weak for short keys: mix the result where that matters. */
#define UTIL_HASH_INIT 0xcbf29ce484222325ULL
uint64_t util_hash(const void *p, size_t n, uint64_t h);

#endif

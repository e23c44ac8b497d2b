/* SPDX-License-Identifier: ISC */
#ifndef SPA_FUZZ_H
#define SPA_FUZZ_H

/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): a temporary
 * directory made once per process (under $TMPDIR, removed at exit), files
 * written there for the file-based loaders, a volatile sink the optimiser
 * cannot drop, and the fixed keys both the targets and mkcorpus use.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Results go here so that no call is optimised away. */
extern volatile uintptr_t fuzz_sink;

/* The process's temporary directory (made on first use; aborts on error). */
const char *fuzz_tmpdir(void);

/* Write data to TMPDIR/name with mode (replacing it); returns its path (a
 * static buffer, valid until the next call); aborts on error. */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size,
    mode_t mode);

/* Abort with a message: an oracle of a target failed. */
void fuzz_fail(const char *what) __attribute__((noreturn));

/*
 * Fixed keys: Ed25519 key pairs from a 32-byte seed of one repeated byte.
 * 0x01 and 0x02 are the agent and gateway of common/PROTOCOL.md's vector.
 */
#define FUZZ_GW_SEED 0x02
void fuzz_keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64]);

/*
 * fuzz_engine's agents, by index in its input: seed byte, name, enclaves,
 * labels, revoked, expired. The last one is not registered (unknown key).
 */
struct fuzz_agent {
	uint8_t seed;
	const char *name;
	const char *enclaves;
	const char *labels;
	int revoked, expired;
};
#define FUZZ_NAGENTS 6
extern const struct fuzz_agent fuzz_agents[FUZZ_NAGENTS];
extern const char fuzz_policy[];

/*
 * fuzz_engine's input: a flags byte (bit 0: allow_other_address), then
 * records until the input ends (missing bytes read as zero):
 *
 *   kind (1): bits 0-1: 0 raw datagram, 1 built knock, 2 engine_tick,
 *             3 built knock for another gateway (sealed with its knock key);
 *             bit 2: flip one byte of the built datagram (at the offset
 *             that follows), bit 3: source IPv6
 *   delta (1): milliseconds the clock moves before this record
 *   source (4 or 16)
 *   raw:   len (2, BE), len bytes
 *   built: agent (1, modulo FUZZ_NAGENTS), ts offset (2, BE, signed, in
 *          units of 10 ms around now), nonce (24), body len (2, BE, at most
 *          FUZZ_BODY_MAX), body bytes (the plaintext body, sealed and signed
 *          by the target), [flip offset (2, BE) if bit 2]
 */
#define FUZZ_BODY_MAX 1200

#endif

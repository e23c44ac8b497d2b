/* SPDX-License-Identifier: ISC */
/* Fuzz target: agent files (rules/agent.c). */
/*
 * Agent files (rules/agent.c): the input is written to TMPDIR/fuzz-agent.ini
 * and loaded. Oracle: a loaded agent writes back (agent_write) and loads
 * again to the same struct.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent a, b;
	char path[4200];

	agent_clear(&a);
	agent_clear(&b);
	if (agent_load(fuzz_write("fuzz-agent.ini", data, size, 0644), &a) != 0) {
		fuzz_sink = 0;
		return 0;
	}
	if (a.nenclaves > AGENT_MAX_ENCLAVES || a.nlabels > POLICY_MAX_LABELS ||
	    strcmp(a.name, "fuzz-agent") != 0)
		fuzz_fail("agent_load accepted a bad agent");
	snprintf(path, sizeof(path), "%s/fuzz-agent.ini", fuzz_tmpdir());
	unlink(path);
	if (agent_write(fuzz_tmpdir(), &a, 0) != 0)
		fuzz_fail("agent_write refused an agent agent_load accepted");
	if (agent_load(path, &b) != 0)
		fuzz_fail("agent_write wrote a file agent_load refuses");
	/* Times are written to the second: sub-second and offsets are lost. */
	if (memcmp(a.pk, b.pk, sizeof(a.pk)) != 0 || a.nenclaves != b.nenclaves ||
	    a.nlabels != b.nlabels ||
	    (a.nlabels && memcmp(a.labels, b.labels, a.nlabels * sizeof(*a.labels))) ||
	    a.expires != b.expires || a.revoked != b.revoked)
		fuzz_fail("agent round trip");
	for (size_t i = 0; i < a.nenclaves; i++)
		if (strcmp(a.enclaves[i], b.enclaves[i]) != 0)
			fuzz_fail("agent round trip: enclaves");
	fuzz_sink = a.nenclaves + a.nlabels + (uintptr_t)a.expires;
	return 0;
}

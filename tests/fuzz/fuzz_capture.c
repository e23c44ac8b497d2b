/* SPDX-License-Identifier: ISC */
/* capture_parse (gatewayd/capture.c) on hostile frames. */
/*
 * The first byte picks the link type (each one capture accepts, plus one it
 * does not); the rest is the frame, and the knock port is fixed (62201).
 * Oracle: the payload lies inside the frame, and every byte of it is read.
 */
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "fuzz.h"

#define PORT 62201

static const int dlts[] = { DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL,
	DLT_LINUX_SLL2, DLT_NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knock_pkt k;
	const uint8_t *f;
	uintptr_t acc = 0;
	int dlt;

	if (size < 1)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	f = data + 1;
	size--;
	if (capture_parse(dlt, f, size, PORT, &k) != 0)
		return 0;
	if (k.data < f || k.data > f + size || k.len > (size_t)(f + size - k.data))
		fuzz_fail("payload outside the frame");
	if ((k.src.family != 4 && k.src.family != 6) || k.dst.family != k.src.family)
		fuzz_fail("address family");
	for (size_t i = 0; i < k.len; i++)
		acc += k.data[i];
	fuzz_sink = acc + k.sport + k.len;
	return 0;
}

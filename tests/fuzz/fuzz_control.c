/* SPDX-License-Identifier: ISC */
/* Fuzz target: control-socket requests (gatewayd/control.c). */
/*
 * Control-socket requests (gatewayd/control.c): control_parse on the input,
 * and control_read on it sent through a socket pair, as a client would.
 * Oracles: both agree; an accepted request prints back to a line that parses
 * to the same request.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"
#include "fuzz.h"
#include "util.h"

static const char *const ops[] = { "reload", "revoke", "openings", "agents",
	"metrics" };

static int
same(const struct control_req *a, const struct control_req *b)
{
	return a->op == b->op && a->kill == b->kill && strcmp(a->name, b->name) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_req req, req2, req3;
	char line[CONTROL_MAX_REQ + 2];
	int sv[2], ok, ok2 = -1;
	size_t off = 0;

	ok = control_parse((const char *)data, size, &req);
	if (ok == 0) {
		if ((unsigned)req.op >= sizeof(ops) / sizeof(ops[0]))
			fuzz_fail("op");
		if (req.op == CONTROL_REVOKE)
			snprintf(line, sizeof(line), "revoke %s%s", req.name,
			    req.kill ? " kill" : "");
		else
			snprintf(line, sizeof(line), "%s", ops[req.op]);
		if (req.op == CONTROL_REVOKE && !util_valid_name(req.name))
			fuzz_fail("revoke of a bad name");
		if (control_parse(line, strlen(line), &req2) != 0 || !same(&req, &req2))
			fuzz_fail("request round trip");
	}
	/* The same bytes from a client; the reader needs the final newline. */
	if (size <= 4096 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		while (off < size) {
			ssize_t n = write(sv[1], data + off, size - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		shutdown(sv[1], SHUT_WR);
		if (off == size)
			ok2 = control_read(sv[0], &req3, 1000);
		close(sv[0]);
		close(sv[1]);
		if (off == size && size > 0 && data[size - 1] == '\n' &&
		    memchr(data, '\n', size - 1) == NULL &&
		    (ok2 != ok || (ok == 0 && !same(&req, &req3))))
			fuzz_fail("control_read and control_parse disagree");
	}
	fuzz_sink = (uintptr_t)ok + (uintptr_t)ok2;
	return 0;
}

# SPDX-License-Identifier: ISC
"""knock_connect: one knock with spa-knock, then TCP connects to the protected
service until one is greeted or the deadline passes. A new non-blocking
connect starts every millisecond while earlier ones stay pending (at most 64),
so the first SYN sent after the opening exists wins even when the machine is
too busy to finish a handshake within a millisecond; the delay measured is
not a retry interval. Prints "knock-to-connect MS ms (...)", measured from
just before spa-knock starts, and exits 0; or prints why and exits 1. Run it
in the agent's namespace: it sends one knock and a bounded number of SYNs
(at most one per millisecond until the deadline) to one address.

usage: knock_connect.py SPA_KNOCK CREDFILE GATEWAY PORT SECONDS [RESOURCE...]
"""
import errno
import select
import socket
import subprocess
import sys
import time

PENDING_MAX = 64


def main():
    knock, cred, host, port, total = sys.argv[1:6]
    port, total = int(port), float(total)
    resources = sys.argv[6:]
    t0 = time.monotonic()
    deadline = t0 + total
    r = subprocess.run([knock, "--credentials", cred, "--gateway", host]
                       + resources, timeout=total + 5)
    if r.returncode != 0:
        print("spa-knock exited %d" % r.returncode)
        return 1
    sent = time.monotonic()
    pending = []        # sockets with a connect in flight, oldest first
    attempts = 0
    winner = None
    try:
        while winner is None and time.monotonic() < deadline:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            attempts += 1
            rc = s.connect_ex((host, port))
            if rc not in (0, errno.EINPROGRESS):
                s.close()
            else:
                pending.append(s)
            if len(pending) > PENDING_MAX:
                pending.pop(0).close()
            _, ready, _ = select.select([], pending, [], 0.001)
            for w in ready:
                if w.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    winner = w
                    break
                pending.remove(w)
                w.close()
        if winner is None:
            print("no connect within %.1f s of the knock (%d attempts)"
                  % (total, attempts))
            return 1
        connected = time.monotonic()
        winner.setblocking(True)
        winner.settimeout(2)
        if not winner.makefile("rb").readline():
            print("connected, but the service said nothing")
            return 1
        print("knock-to-connect %.1f ms (spa-knock %.1f ms, then %.1f ms "
              "to the connect, attempt %d)"
              % ((connected - t0) * 1000, (sent - t0) * 1000,
                 (connected - sent) * 1000, attempts))
        return 0
    finally:
        for s in pending:
            s.close()


if __name__ == "__main__":
    sys.exit(main())

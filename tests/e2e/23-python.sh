#!/bin/bash
# SPDX-License-Identifier: ISC
# 23: the Python module spa-client/python/spa.py (ctypes over the built
# libspa-client.so.1, Debian's /usr/bin/python3, nothing else): spa.connect()
# returns a standard socket.socket connected to the cloaked service (IPv4 and
# IPv6); spa.knock() opens it for plain sockets; wrong credentials raise a
# SpaError that says what is wrong, and nothing connects.
#
#   netns GW                                   netns AG
#   +---------------------------+    veth      +--------------------------+
#   | spa-gatewayd              | eth0 -- eth0 | python3 + spa.py (alice: |
#   | service tcp/8080 (web)    |              |  dev; carol: another     |
#   | 10.200.0.1  fd00:200::1   |              |  gateway's agent)        |
#   +---------------------------+              +--------------------------+
#   policy: dev = web, max_duration 30

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin 23-python

web_gateway --other

# py SCRIPT ARGS...: the system python in the agent namespace with the module
# on its path and the built library; output in $WORK/out, $WORK/err.
py() {
	ag env -i PATH=/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/spa-client/python" \
	    SPA_CLIENT_LIB="$BUILD/libspa-client.so.1" timeout 20 "$PY" -c "$@" \
	    >"$WORK/out" 2>"$WORK/err"
}
out_has() { grep -q -- "$1" "$WORK/out" || { sed 's/^/    /' "$WORK/out" "$WORK/err"; false; }; }

PYCONNECT_PY='
import socket, sys, spa
cred, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
gateway = sys.argv[4] if len(sys.argv) > 4 else None
try:
    s = spa.connect("web", host, port, credentials=cred, gateway=gateway, timeout=1.5)
except spa.SpaError as e:
    print("SpaError", e.code, e)
    sys.exit(1)
print("type", type(s).__module__ + "." + type(s).__name__,
      "family", s.family.name, "blocking", s.getblocking())
f = s.makefile("rb")
print("greeting", f.readline().decode().strip())
s.sendall(b"from python\n")
print("reply", f.readline().decode().strip())
s.close()
'
PYKNOCK_PY='
import socket, sys, time, spa
with spa.Client(sys.argv[1]) as c:
    print("agent", c.agent, "key id", c.key_id)
    c.knock("web", duration=5)
    c.knock_wait(["web"], [sys.argv[2] + ":8080"], duration=5, timeout=2)
s = socket.create_connection((sys.argv[2], 8080), 1)
print("plain socket", s.makefile("rb").readline().decode().strip())
'

check "before any knock the service is unreachable" unreachable "$GW_IP" 8080

printf '[agent]\nname = x\n' >"$WORK/bad.cred"; chmod 600 "$WORK/bad.cred"
mark=$(audit_mark "$A")
check_not "spa.connect with a corrupt credential file fails" \
    py "$PYCONNECT_PY" "$WORK/bad.cred" "$GW_IP" 8080
check "  with SpaError -3, naming the file" \
    out_has "SpaError -3 .*credential file unreadable or invalid: $WORK/bad.cred"
check "  no knock was sent" audit_quiet "$A" "$mark" 0.3
check_not "spa.connect with another gateway's credentials fails" \
    py "$PYCONNECT_PY" "$WORK/carol.cred" "$GW_IP" 8080
check "  with SpaError -7: no answer after the knock" \
    out_has "SpaError -7 .*no answer from the resource after the knock"
expect_audit "$A" "$mark" refuse "unknown_key|bad_auth" "  the gateway refused the knock"
check "the service is still unreachable" unreachable "$GW_IP" 8080

mark=$(audit_mark "$A")
check "spa.connect('web', '$GW_IP', 8080) works" py "$PYCONNECT_PY" "$WORK/alice.cred" "$GW_IP" 8080
check "  it returns a blocking socket.socket (IPv4)" \
    out_has "type socket.socket family AF_INET blocking True"
check "  connected to the service" out_has "greeting hello from the protected service on port 8080"
check "  both ways" out_has "reply echo from python"
expect_audit "$A" "$mark" accept ok "  the knock was accepted"

check "IPv6: before, the service is unreachable over IPv6" unreachable "$GW_IP6" 8080
mark=$(audit_mark "$A")
check "IPv6: spa.connect over IPv6 (gateway [$GW_IP6]) works" \
    py "$PYCONNECT_PY" "$WORK/alice.cred" "$GW_IP6" 8080 "[$GW_IP6]"
check "  an AF_INET6 socket.socket" out_has "type socket.socket family AF_INET6"
check "  connected to the service" out_has "greeting hello from the protected service"
expect_audit "$A" "$mark" accept ok "  the knock was accepted"
check "  from $AG_IP6" test "$(json_get "$AUDIT_LINE" source)" = "$AG_IP6"

mark=$(audit_mark "$A")
check "spa.Client.knock() and knock_wait(), then a plain socket, work" \
    py "$PYKNOCK_PY" "$WORK/alice.cred" "$GW_IP"
check "  the client names its agent" out_has "agent alice key id [0-9a-f]\{16\}"
check "  the plain socket reached the service" out_has "plain socket hello from the protected service"
expect_audit "$A" "$mark" accept ok "  the knock was accepted"
check "  for the 5 s asked" test "$(json_get "$AUDIT_LINE" duration)" = 5

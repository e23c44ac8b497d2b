# SPDX-License-Identifier: ISC
"""Knock on a spa-gateway from Python: ctypes over libspa-client.so.1.

    import spa
    sock = spa.connect("web", "10.0.0.1", 8080)   # a connected socket.socket
    spa.knock(["web", "db"], duration=60)          # only knock

Configuration is the library's (see spa.h): the credential file comes from
credentials=..., else $SPA_CREDENTIALS, else ~/.config/spa-gateway/credentials
or /etc/spa-gateway/credentials; $SPA_GATEWAY overrides the gateway address,
$SPA_TIMEOUT_MS the wait after a knock. $SPA_CLIENT_LIB names the library file
to load (default: libspa-client.so.1 from the system's library path).

A Client may be shared by threads: the library is thread-safe and ctypes
releases the GIL during each call. Errors raise SpaError.
"""

import ctypes
import os
import socket

__all__ = ["Client", "SpaError", "knock", "knock_wait", "connect"]

# enum spa_err
OK = 0
ERR_ARG = -1
ERR_NOMEM = -2
ERR_CREDENTIALS = -3
ERR_RESOLVE = -4
ERR_SEND = -5
ERR_CRYPTO = -6
ERR_TIMEOUT = -7
ERR_REFUSED = -8
ERR_NOROUTE = -9
ERR_CONNECT = -10
ERR_HOST = -11

_lib = None


def _load():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(os.environ.get("SPA_CLIENT_LIB") or "libspa-client.so.1")
    p_client = ctypes.c_void_p
    p_strings = ctypes.POINTER(ctypes.c_char_p)
    sigs = {
        "spa_client_open": (ctypes.c_int, [ctypes.POINTER(p_client), ctypes.c_char_p]),
        "spa_client_close": (None, [p_client]),
        "spa_client_set_gateway": (ctypes.c_int, [p_client, ctypes.c_char_p]),
        "spa_knock": (ctypes.c_int, [p_client, p_strings, ctypes.c_size_t,
                                     ctypes.c_uint32]),
        "spa_knock_wait": (ctypes.c_int, [p_client, p_strings, ctypes.c_size_t,
                                          ctypes.c_uint32, p_strings,
                                          ctypes.c_size_t, ctypes.c_uint]),
        "spa_connect": (ctypes.c_int, [p_client, ctypes.c_char_p, ctypes.c_char_p,
                                       ctypes.c_uint16, ctypes.c_uint32,
                                       ctypes.c_uint, ctypes.POINTER(ctypes.c_int)]),
        "spa_strerror": (ctypes.c_char_p, [ctypes.c_int]),
        "spa_error_detail": (ctypes.c_char_p, []),
        "spa_client_agent": (ctypes.c_char_p, [p_client]),
        "spa_client_key_id": (ctypes.c_char_p, [p_client]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    _lib = lib
    return lib


class SpaError(OSError):
    """A libspa-client error: .code is the spa_err value, .detail says more."""

    def __init__(self, code, detail=""):
        lib = _load()
        self.code = code
        self.detail = detail
        msg = lib.spa_strerror(code).decode()
        super().__init__(code, msg + (": " + detail if detail else ""))


def _check(code):
    if code != OK:
        # The detail is per thread: read it on the thread that failed.
        raise SpaError(code, _load().spa_error_detail().decode(errors="replace"))


def _strings(items):
    if items is None:
        return None, 0
    if isinstance(items, (str, bytes)):
        items = [items]
    enc = [s.encode() if isinstance(s, str) else bytes(s) for s in items]
    if not enc:
        return None, 0
    return (ctypes.c_char_p * len(enc))(*enc), len(enc)


def _ms(timeout):
    return 0 if timeout is None else max(1, int(timeout * 1000))


class Client:
    """One agent's credentials; close() (or a with block) wipes them."""

    def __init__(self, credentials=None, gateway=None):
        lib = _load()
        self._h = ctypes.c_void_p()
        _check(lib.spa_client_open(
            ctypes.byref(self._h),
            None if credentials is None else os.fsencode(credentials)))
        if gateway is not None:
            try:
                _check(lib.spa_client_set_gateway(self._h, gateway.encode()))
            except SpaError:
                self.close()
                raise

    def close(self):
        if getattr(self, "_h", None):
            _load().spa_client_close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _handle(self):
        if not self._h:
            raise ValueError("spa.Client is closed")
        return self._h

    @property
    def agent(self):
        return _load().spa_client_agent(self._handle()).decode()

    @property
    def key_id(self):
        return _load().spa_client_key_id(self._handle()).decode()

    def knock(self, resources=None, duration=0):
        """Send one knock for resources (a name, a list, None: all)."""
        arr, n = _strings(resources)
        _check(_load().spa_knock(self._handle(), arr, n, duration))

    def knock_wait(self, resources=None, targets=(), duration=0, timeout=None):
        """Knock, then wait until every "HOST:PORT" target answers (seconds)."""
        arr, n = _strings(resources)
        tarr, nt = _strings(targets)
        _check(_load().spa_knock_wait(self._handle(), arr, n, duration,
                                      tarr, nt, _ms(timeout)))

    def connect(self, resource, host, port, duration=0, timeout=None):
        """Knock for resource (None: all), then return a connected TCP
        socket.socket to host:port; retries fast until timeout seconds."""
        fd = ctypes.c_int(-1)
        _check(_load().spa_connect(
            self._handle(), None if resource is None else resource.encode(),
            host.encode(), int(port), duration, _ms(timeout), ctypes.byref(fd)))
        return socket.socket(fileno=fd.value)


def knock(resources=None, duration=0, credentials=None, gateway=None):
    """Open a Client, knock once, close it."""
    with Client(credentials, gateway) as c:
        c.knock(resources, duration)


def knock_wait(resources=None, targets=(), duration=0, timeout=None,
               credentials=None, gateway=None):
    """Open a Client, knock, wait until the targets answer, close it."""
    with Client(credentials, gateway) as c:
        c.knock_wait(resources, targets, duration, timeout)


def connect(resource, host, port, duration=0, timeout=None, credentials=None,
            gateway=None):
    """Open a Client, knock for resource, return a connected socket.socket."""
    with Client(credentials, gateway) as c:
        return c.connect(resource, host, port, duration, timeout)

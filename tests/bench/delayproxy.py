#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""delayproxy.py - a TCP proxy on loopback that adds a fixed one-way latency.

    delayproxy.py --upstream HOST:PORT --delay MS [--delay MS ...]
                  --ready-file FILE

For each --delay it listens on an ephemeral port of 127.0.0.1 and forwards
every connection to the upstream server, holding each chunk it reads for
MS milliseconds before writing it on, in each direction, in order; an end
of stream (FIN) is delayed likewise. Once listening it writes "MS PORT"
lines to --ready-file (atomically). It runs until SIGTERM or SIGINT.

Kernel traffic shaping (netem) is not available here, so the latency is
added at the application level: a chunk read at t leaves at t + MS. The
TCP handshake with the proxy and the proxy's own connection upstream are
local, so they cost no latency: see BENCHMARKS.md for what that means for
round-trip counts. Threads, not asyncio: a sleeping writer thread wakes
within ~0.1 ms of its deadline, where an event loop's timers are rounded
to whole milliseconds.

TCP: the proxy terminates both connections, so TCP's own timing (Nagle,
delayed ACKs) plays out on its two zero-latency loopback legs, not over
the simulated link. It acknowledges every segment at once (TCP_QUICKACK)
and never delays its own writes (TCP_NODELAY): otherwise a peer holding a
small write back under Nagle until its previous segment is acknowledged
waits for the proxy's delayed-ACK timer (40 ms), sometimes, depending on
the timing, which would show as a fraction of a round trip that is none.
"""

import argparse
import os
import queue
import signal
import socket
import sys
import threading
import time


def pump(src, dst, delay, done):
    """Reads src, writes to dst each chunk `delay` seconds after it was read."""
    q = queue.SimpleQueue()

    def reader():
        while True:
            try:
                # Acknowledge at once (re-armed at every read: the kernel
                # falls back to delayed ACKs): see "TCP" in the docstring.
                src.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                data = src.recv(65536)
                src.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            except OSError:
                data = b""
            q.put((time.monotonic() + delay, data))
            if not data:
                return

    def writer():
        try:
            while True:
                due, data = q.get()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            done()

    for f in (reader, writer):
        threading.Thread(target=f, daemon=True).start()


def serve(client, upstream, delay):
    try:
        server = socket.create_connection(upstream)
    except OSError:
        client.close()
        return
    for s in (client, server):
        # The proxy is the wire: it must not hold small writes back itself.
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    left = [2]
    lock = threading.Lock()

    def done():
        with lock:
            left[0] -= 1
            if left[0] == 0:
                client.close()
                server.close()

    pump(client, server, delay, done)
    pump(server, client, delay, done)


def listen(delay, upstream):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(128)

    def accept():
        while True:
            c, _ = ls.accept()
            serve(c, upstream, delay)

    threading.Thread(target=accept, daemon=True).start()
    return ls.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--delay", type=float, action="append", required=True)
    ap.add_argument("--ready-file", required=True)
    a = ap.parse_args()
    host, port = a.upstream.rsplit(":", 1)
    lines = ["%g %d\n" % (ms, listen(ms / 1000.0, (host, int(port))))
             for ms in a.delay]
    with open(a.ready_file + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(a.ready_file + ".tmp", a.ready_file)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()

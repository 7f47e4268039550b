#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""silent_many.py - one process listening on many loopback addresses (the
same port on each) that accepts every connection and never sends a byte:
thousands of SMTP servers that took the call and fell silent. For the
"many connections accepted but never answered" case of
tests/integration/hostile.test.

    silent_many.py --first 127.A.B.C --count N [--port PORT]
                   --ready-file FILE --status-file FILE

Listens on --count consecutive IPv4 addresses from --first, all on one port
(--port 0: the kernel picks it for the first address, the others follow).
When listening, FILE (--ready-file) gets the port on its first line and the
addresses, one a line, after it (written to FILE.tmp, then renamed).

Accepted connections are held open and read from (what arrives is counted
and dropped) until the client closes them. The descriptor soft limit is
raised to the hard limit; should it still run out, accepting pauses until a
connection closes, rather than spinning on EMFILE.

--status-file gets, as one JSON object rewritten atomically at most every
0.1 s while something changes and once more on SIGTERM: listening, port,
accepted (in total), open (now), peak_open (most open at once), closed (by
the client), bytes_received, emfile (accepts that hit the limit), nofile
(the soft limit in force). SIGTERM or SIGINT ends it with exit 0.
Standard library only; run with Debian's /usr/bin/python3.
"""

import argparse
import errno
import ipaddress
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time

STATUS_EVERY = 0.1


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


def listen_all(addrs, port):
    """One listener per address, all on one port; (port, [sockets])."""
    socks = []
    try:
        for a in addrs:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((str(a), port))
            port = s.getsockname()[1]
            s.listen(512)
            s.setblocking(False)
    except OSError:
        for s in socks:
            s.close()
        raise
    return port, socks


def main():
    ap = argparse.ArgumentParser(description="many silent listeners")
    ap.add_argument("--first", required=True, help="first IPv4 address")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--status-file", required=True)
    args = ap.parse_args()

    first = ipaddress.IPv4Address(args.first)
    addrs = [first + i for i in range(args.count)]
    if not all(a.is_loopback for a in addrs):
        ap.error("every address must be in 127.0.0.0/8")

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    nofile = raise_nofile()
    # --port 0: the port the kernel picked for the first address may be
    # taken on another one; then try again with a fresh one.
    for attempt in range(10):
        try:
            port, listeners = listen_all(addrs, args.port)
            break
        except OSError as e:
            if args.port != 0 or e.errno != errno.EADDRINUSE or attempt == 9:
                print("silent_many: %s" % e, file=sys.stderr)
                return 1

    st = {"listening": len(listeners), "port": port, "accepted": 0,
          "open": 0, "peak_open": 0, "closed": 0, "bytes_received": 0,
          "emfile": 0, "nofile": nofile}
    sel = selectors.DefaultSelector()
    for ls in listeners:
        sel.register(ls, selectors.EVENT_READ, None)
    paused = False
    write_atomic(args.status_file, json.dumps(st) + "\n")
    write_atomic(args.ready_file,
                 "%d\n%s\n" % (port, "\n".join(str(a) for a in addrs)))

    dirty, last = False, 0.0
    try:
        while True:
            for key, _ in sel.select(STATUS_EVERY):
                if key.data is None:
                    while not paused:
                        try:
                            c, _peer = key.fileobj.accept()
                        except BlockingIOError:
                            break
                        except OSError as e:
                            if e.errno not in (errno.EMFILE, errno.ENFILE):
                                raise
                            st["emfile"] += 1
                            for ls in listeners:
                                sel.unregister(ls)
                            paused = True
                            break
                        c.setblocking(False)
                        sel.register(c, selectors.EVENT_READ, "conn")
                        st["accepted"] += 1
                        st["open"] += 1
                        st["peak_open"] = max(st["peak_open"], st["open"])
                        dirty = True
                    continue
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    st["bytes_received"] += len(data)
                else:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    st["open"] -= 1
                    st["closed"] += 1
                    if paused:
                        for ls in listeners:
                            sel.register(ls, selectors.EVENT_READ, None)
                        paused = False
                dirty = True
            now = time.monotonic()
            if dirty and now - last >= STATUS_EVERY:
                write_atomic(args.status_file, json.dumps(st) + "\n")
                dirty, last = False, now
    finally:
        write_atomic(args.status_file, json.dumps(st) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""manysmtp.py - N fake SMTP servers in one process, for the scale bench.

    manysmtp.py --count N --banner-delay MS --ready-file FILE

Listens on N loopback addresses 127.1.X.Y (Y = 1..250), all on the same
port, one asyncio loop for all. Each connection gets its 220 banner MS
milliseconds after it was accepted (a slow server, so that the checks
overlap), then EHLO/HELO/QUIT and anything else are answered at once;
commands sent early (pipelined) are answered in order after the banner.
Once listening it writes "PORT" and then the N addresses, one a line, to
--ready-file (atomically). Runs until SIGTERM or SIGINT.
"""

import argparse
import asyncio
import os
import signal
import socket

EHLO = (b"250-fake.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
        b"250 ENHANCEDSTATUSCODES\r\n")


def addresses(n):
    return ["127.1.%d.%d" % (i // 250, i % 250 + 1) for i in range(n)]


class Smtp(asyncio.Protocol):
    delay = 0.2

    def connection_made(self, transport):
        self.t = transport
        self.buf = b""
        self.greeted = False
        asyncio.get_running_loop().call_later(self.delay, self.greet)

    def greet(self):
        if self.t.is_closing():
            return
        self.greeted = True
        self.t.write(b"220 fake.example ESMTP\r\n")
        self.answer()

    def data_received(self, data):
        self.buf += data
        if self.greeted:
            self.answer()

    def answer(self):
        while b"\n" in self.buf and not self.t.is_closing():
            line, self.buf = self.buf.split(b"\n", 1)
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                self.t.write(EHLO)
            elif verb == b"QUIT":
                self.t.write(b"221 2.0.0 Bye\r\n")
                self.t.close()
            else:
                self.t.write(b"250 2.0.0 Ok\r\n")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--banner-delay", type=float, default=200)
    ap.add_argument("--ready-file", required=True)
    a = ap.parse_args()
    Smtp.delay = a.banner_delay / 1000.0
    loop = asyncio.get_running_loop()
    addrs = addresses(a.count)

    # One port for every address: the kernel picks it for the first one; a
    # port taken on another address (a wildcard listener) means try again.
    for _ in range(50):
        first = socket.create_server((addrs[0], 0), backlog=1024)
        port = first.getsockname()[1]
        socks = [first]
        try:
            for ad in addrs[1:]:
                socks.append(socket.create_server((ad, port), backlog=1024))
            break
        except OSError:
            for s in socks:
                s.close()
    else:
        raise SystemExit("manysmtp.py: no port free on all addresses")
    servers = [await loop.create_server(Smtp, sock=s) for s in socks]

    with open(a.ready_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
        f.writelines(ad + "\n" for ad in addrs)
    os.rename(a.ready_file + ".tmp", a.ready_file)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


if __name__ == "__main__":
    asyncio.run(main())

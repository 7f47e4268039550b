#!/usr/bin/python3
"""fakesmtp.py - a scripted fake SMTP server for smtp-probe's fault tests.

It produces the faults a real server will not: broken banners, mixed reply
codes, replies dribbled one byte at a time, endless lines, silence, closed
connections. Standard library only; run with Debian's /usr/bin/python3.

    fakesmtp.py --listen 127.0.0.1 --port PORT --scenario NAME
                [--ready-file FILE] [--log FILE]

--port 0 lets the kernel pick a free port. Once listening, the port number
is written to --ready-file (atomically: written to FILE.tmp, then renamed),
so a test waits for the file instead of sleeping. Every connection is served
in its own thread until the process gets SIGTERM or SIGINT, which makes it
exit 0. --log FILE records, one line each, every accepted connection and the
raw bytes of every recv() call (escaped), so a test can check that nothing
connected, or that pipelined commands arrived in one read.

Scenarios: see SCENARIOS at the bottom (and --list).
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time

HOSTNAME = b"fake.example"
MAX_LINE = 65536


class Log:
    """Thread-safe line log of connections and received bytes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        if path:
            open(path, "a").close()

    def write(self, conn_id, what, data=b""):
        if not self.path:
            return
        text = escape(data)
        with self.lock:
            with open(self.path, "a") as f:
                f.write("%d %s %s\n" % (conn_id, what, text) if data
                        else "%d %s\n" % (conn_id, what))


def escape(data):
    out = []
    for b in data:
        if b == 13:
            out.append("\\r")
        elif b == 10:
            out.append("\\n")
        elif b == 92:
            out.append("\\\\")
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


class Closed(Exception):
    """The client closed the connection (or it broke)."""


class Conn:
    def __init__(self, sock, conn_id, log):
        self.sock = sock
        self.id = conn_id
        self.log = log
        self.buf = b""

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed() from e

    def send_bytewise(self, data, delay=0.002):
        """One send() per byte, with Nagle off, so the client gets the
        reply in as many TCP segments as it has bytes."""
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            self.send(data[i:i + 1])
            time.sleep(delay)

    def recv(self):
        try:
            data = self.sock.recv(65536)
        except OSError as e:
            raise Closed() from e
        if not data:
            raise Closed()
        self.log.write(self.id, "recv", data)
        return data

    def readline(self):
        """One line without its CRLF (or bare LF)."""
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_LINE:
                self.send(b"500 5.5.2 Line too long\r\n")
                raise Closed()
            self.buf += self.recv()
        line, self.buf = self.buf.split(b"\n", 1)
        return line[:-1] if line.endswith(b"\r") else line

    def drain(self):
        """Read and discard until the client closes."""
        while True:
            self.recv()


def verb_of(line):
    return line.split(b" ", 1)[0].split(b":", 1)[0].upper()


def ehlo_reply(pipelining):
    caps = [HOSTNAME, b"SIZE 10240000"]
    if pipelining:
        caps.append(b"PIPELINING")
    caps += [b"ENHANCEDSTATUSCODES", b"8BITMIME"]
    return multiline(250, caps)


def multiline(code, lines):
    out = b""
    for i, text in enumerate(lines):
        sep = b" " if i == len(lines) - 1 else b"-"
        out += b"%d%s%s\r\n" % (code, sep, text)
    return out


def dialog(c, banner=None, ehlo=None, helo=None, pipelining=False,
           extra=None):
    """The default interaction: a banner, then sensible answers to
    EHLO/HELO/LHLO/MAIL/RCPT/DATA/RSET/NOOP/QUIT until QUIT or EOF.
    ehlo/helo: a bytes reply, or a callable taking the connection.
    extra: {VERB: bytes reply or callable taking the connection} for other
    verbs (STARTTLS, AUTH); a callable may raise Closed to end the dialog."""
    c.send(banner if banner is not None
           else b"220 " + HOSTNAME + b" ESMTP fakesmtp\r\n")
    while True:
        line = c.readline()
        verb = verb_of(line)
        if verb in (b"EHLO", b"LHLO"):
            r = ehlo if ehlo is not None else ehlo_reply(pipelining)
            r(c) if callable(r) else c.send(r)
        elif verb == b"HELO":
            r = helo if helo is not None else b"250 " + HOSTNAME + b"\r\n"
            r(c) if callable(r) else c.send(r)
        elif verb == b"MAIL":
            c.send(b"250 2.1.0 Ok\r\n")
        elif verb == b"RCPT":
            c.send(b"250 2.1.5 Ok\r\n")
        elif verb == b"DATA":
            c.send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            while c.readline() != b".":
                pass
            c.send(b"250 2.0.0 Ok: queued as FAKE1234\r\n")
        elif extra is not None and verb in extra:
            r = extra[verb]
            r(c) if callable(r) else c.send(r)
        elif verb in (b"RSET", b"NOOP"):
            c.send(b"250 2.0.0 Ok\r\n")
        elif verb == b"QUIT":
            c.send(b"221 2.0.0 Bye\r\n")
            return
        else:
            c.send(b"502 5.5.2 Error: command not recognized\r\n")


def refusing(c, banner):
    """A server that greets with a 4xx/5xx: it then only accepts QUIT
    (RFC 5321 3.1), answering anything else with 503."""
    c.send(banner)
    while True:
        if verb_of(c.readline()) == b"QUIT":
            c.send(b"221 2.0.0 Bye\r\n")
            return
        c.send(b"503 5.5.1 Error: bad sequence of commands\r\n")


# ----------------------------------------------------------------- scenarios

def sc_normal(c):
    """A plain working ESMTP server without PIPELINING."""
    dialog(c)


def sc_pipelining(c):
    """The same with PIPELINING advertised (use --log to see the reads)."""
    dialog(c, pipelining=True)


def sc_banner421(c):
    refusing(c, b"421 4.3.2 Service shutting down\r\n")


def sc_banner554(c):
    refusing(c, b"554 5.7.1 No SMTP service here\r\n")


def sc_ehlo502(c):
    """An old server: EHLO unknown, HELO works."""
    dialog(c, banner=b"220 " + HOSTNAME + b" SMTP fakesmtp\r\n",
           ehlo=b"502 5.5.2 Command not recognized\r\n")


def sc_onebyte(c):
    """Banner and multiline EHLO reply written one byte per send()."""
    dialog(c,
           banner=None,
           ehlo=lambda conn: conn.send_bytewise(ehlo_reply(True)))


def sc_garbage(c):
    """Something that is not SMTP at all."""
    c.send(b"HELLO THERE\r\n")
    c.drain()


def sc_mixed(c):
    """Two different codes in one multiline reply."""
    dialog(c, ehlo=b"250-first\r\n251 second\r\n")


def sc_longline(c):
    """A banner line of 1 MiB."""
    c.send(b"220 " + b"a" * (1 << 20) + b"\r\n")
    c.drain()


def sc_close_after_banner(c):
    c.send(b"220 " + HOSTNAME + b" ESMTP fakesmtp\r\n")
    # returning closes the connection


def sc_close_mid_reply(c):
    def half(conn):
        conn.send(b"250-x\r\n")
        raise Closed()
    dialog(c, ehlo=half)


def sc_silent(c):
    """Accepts and never writes."""
    c.drain()


BANNER_DELAY = 1.0


def sc_slowbanner(c):
    """A normal server that thinks for --banner-delay seconds (default 1)
    before its banner, as a loaded or tarpitting MTA does."""
    time.sleep(BANNER_DELAY)
    dialog(c)


def sc_drip(c):
    """'220 aaaa...' one byte every 0.5 s, forever: an inactivity timeout
    never fires, only an overall deadline does."""
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.send(b"220 ")
    while True:
        c.send(b"a")
        time.sleep(0.5)


# ----------------------------------------------------------------- TLS, AUTH

def ehlo_with(*caps):
    """An EHLO reply with PIPELINING and the given extra capabilities."""
    return multiline(250, [HOSTNAME, b"SIZE 10240000", b"PIPELINING"]
                     + list(caps) + [b"ENHANCEDSTATUSCODES", b"8BITMIME"])


def sc_nostarttls(c):
    """EHLO without STARTTLS (STARTTLS, if sent anyway, gets 502)."""
    dialog(c, pipelining=True)


def sc_starttls454(c):
    """STARTTLS advertised, answered 454 (RFC 3207's temporary failure)."""
    dialog(c, ehlo=ehlo_with(b"STARTTLS"), extra={
        b"STARTTLS": b"454 4.7.0 TLS not available due to local problem\r\n"})


def sc_starttls_inject(c):
    """STARTTLS answered 220 with a forged reply in the SAME send(): bytes a
    man in the middle would have injected before the handshake (the attack
    of CVE-2011-0411 / curl's test980). Then it waits for the client to
    give up."""
    def inject(conn):
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.send(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
        conn.drain()
    dialog(c, ehlo=ehlo_with(b"STARTTLS"), extra={b"STARTTLS": inject})


def sc_tls_garbage(c):
    """For an implicit-TLS client: plain SMTP text (more than a TLS record
    header) instead of a TLS ServerHello, sent at once on connect, then
    silence until the client closes."""
    c.send(b"220 " + HOSTNAME + b" ESMTP this is not TLS\r\n")
    c.drain()


def sc_auth454(c):
    """No TLS; AUTH PLAIN LOGIN CRAM-MD5 advertised; every AUTH answered
    454 (use --allow-plaintext-auth). A LOGIN/CRAM-MD5 exchange is cut short
    by the 454 at its first step."""
    dialog(c, ehlo=ehlo_with(b"AUTH PLAIN LOGIN CRAM-MD5"), extra={
        b"AUTH": b"454 4.7.0 Temporary authentication failure\r\n"})


SCENARIOS = {
    "normal": sc_normal,
    "pipelining": sc_pipelining,
    "banner421": sc_banner421,
    "banner554": sc_banner554,
    "ehlo502": sc_ehlo502,
    "onebyte": sc_onebyte,
    "garbage": sc_garbage,
    "mixed": sc_mixed,
    "longline": sc_longline,
    "close_after_banner": sc_close_after_banner,
    "close_mid_reply": sc_close_mid_reply,
    "silent": sc_silent,
    "drip": sc_drip,
    "slowbanner": sc_slowbanner,
    "nostarttls": sc_nostarttls,
    "starttls454": sc_starttls454,
    "starttls_inject": sc_starttls_inject,
    "tls_garbage": sc_tls_garbage,
    "auth454": sc_auth454,
}


# ----------------------------------------------------------------- server

def serve_one(sock, conn_id, log, scenario):
    c = Conn(sock, conn_id, log)
    try:
        scenario(c)
    except Closed:
        pass
    except Exception as e:  # a bug here must not kill the server
        print("fakesmtp: connection %d: %r" % (conn_id, e), file=sys.stderr)
    finally:
        log.write(conn_id, "close")
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


def main():
    ap = argparse.ArgumentParser(description="scripted fake SMTP server")
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--ready-file")
    ap.add_argument("--log")
    ap.add_argument("--list", action="store_true", help="list scenarios")
    ap.add_argument("--hostname", help="name in the banner and EHLO reply "
                    "(default fake.example)")
    ap.add_argument("--banner-delay", type=float, default=1.0,
                    help="seconds slowbanner waits before its banner")
    args = ap.parse_args()

    global HOSTNAME, BANNER_DELAY
    if args.hostname:
        HOSTNAME = args.hostname.encode()
    BANNER_DELAY = args.banner_delay

    if args.list:
        print("\n".join(sorted(SCENARIOS)))
        return 0
    scenario = SCENARIOS.get(args.scenario)
    if scenario is None:
        ap.error("unknown scenario %r (one of: %s)"
                 % (args.scenario, ", ".join(sorted(SCENARIOS))))

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    ls = socket.socket(family, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.listen, args.port))
    ls.listen(64)
    port = ls.getsockname()[1]
    log = Log(args.log)

    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.ready_file)

    conn_id = 0
    try:
        while True:
            sock, peer = ls.accept()
            conn_id += 1
            log.write(conn_id, "accept %s:%d" % peer[:2])
            t = threading.Thread(target=serve_one, daemon=True,
                                 args=(sock, conn_id, log, scenario))
            t.start()
    finally:
        ls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

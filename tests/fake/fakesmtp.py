#!/usr/bin/python3
# SPDX-License-Identifier: MIT
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
import struct
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


PROXY_V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def sc_proxy(c):
    """A server behind a PROXY protocol listener (haproxy's v1 text or v2
    binary header, as Postfix's smtpd_upstream_proxy_protocol = haproxy):
    it reads the header first (logged as 'proxy v1 ...' / 'proxy v2 ...'),
    then runs the normal dialog; anything else gets 421 and the close."""
    while len(c.buf) < 16 and b"\n" not in c.buf:
        c.buf += c.recv()
    if c.buf.startswith(b"PROXY "):
        c.log.write(c.id, "proxy v1", c.readline())
    elif c.buf.startswith(PROXY_V2_SIG):
        while len(c.buf) < 16:
            c.buf += c.recv()
        n = 16 + int.from_bytes(c.buf[14:16], "big")
        while len(c.buf) < n:
            c.buf += c.recv()
        c.log.write(c.id, "proxy v2", c.buf[:n])
        c.buf = c.buf[n:]
    else:
        c.send(b"421 4.3.0 no PROXY header\r\n")
        return
    dialog(c, pipelining=True)


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
    "proxy": sc_proxy,
}


# ----------------------------------------------------------------- hostile
# The hostile-server catalogue of tests/integration/hostile.test:
# limits of the reply parser, bytes no SMTP server should send, and the
# connection torn down mid-reply. Additive: registered into SCENARIOS below.

LIMIT_LINE = 4096   # SP_REPLY_MAX_LINE: longest line, CRLF not counted
LIMIT_LINES = 1000  # SP_REPLY_MAX_LINES: most lines in one reply


def sc_line4096(c):
    """A banner line of exactly the limit (4096 bytes before CRLF): OK."""
    dialog(c, banner=b"220 " + b"a" * (LIMIT_LINE - 4) + b"\r\n")


def sc_line4097(c):
    """A banner line one byte over the limit."""
    c.send(b"220 " + b"a" * (LIMIT_LINE - 3) + b"\r\n")
    c.drain()


def sc_ehlo_line4097(c):
    """An EHLO continuation line one byte over the limit."""
    dialog(c, ehlo=b"250-fake.example\r\n250-" + b"X" * (LIMIT_LINE - 3)
           + b"\r\n250 8BITMIME\r\n")


def _many_lines(n):
    return multiline(250, [HOSTNAME] + [b"X-EXT%d" % i for i in range(n - 1)])


def sc_lines1000(c):
    """An EHLO reply of exactly 1000 lines: OK."""
    dialog(c, ehlo=_many_lines(LIMIT_LINES))


def sc_lines1001(c):
    """An EHLO reply of 1001 lines."""
    dialog(c, ehlo=_many_lines(LIMIT_LINES + 1))


def sc_endless_fast(c):
    """'220-' continuation lines as fast as the socket takes them, never a
    final line: the line limit must end it long before any deadline."""
    c.send(b"220-fake.example ESMTP\r\n")
    chunk = b"220-and more\r\n" * 256
    while True:
        c.send(chunk)


def sc_endless_slow(c):
    """One '220-' continuation line every 0.2 s, forever: under the line
    limit for minutes, so only the overall deadline ends it."""
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        c.send(b"220-still greeting\r\n")
        time.sleep(0.2)


# Invalid UTF-8 (a lone continuation byte, a truncated sequence, an overlong
# '/', a surrogate, 0xff), a '|' that would cut the perfdata, and a '\'.
HOSTILE_TEXT = (b"5.7.1 bad \x80 utf8 \xc3( \xc0\xaf \xed\xa0\x80 \xff"
                b" | fake=1;;;0 \\ end")


def sc_badutf8(c):
    """A 554 banner whose text is not UTF-8 and holds a '|'."""
    refusing(c, b"554 " + HOSTILE_TEXT + b"\r\n")


def sc_badutf8_rcpt(c):
    """The same text in a 550 to RCPT, which the status line quotes."""
    def rcpt_dialog(conn):
        conn.send(b"220 " + HOSTNAME + b" ESMTP fakesmtp\r\n")
        while True:
            line = conn.readline()
            verb = verb_of(line)
            if verb == b"EHLO":
                conn.send(ehlo_reply(False))
            elif verb == b"MAIL":
                conn.send(b"250 2.1.0 Ok\r\n")
            elif verb == b"RCPT":
                conn.send(b"550 " + HOSTILE_TEXT + b"\r\n")
            elif verb == b"QUIT":
                conn.send(b"221 2.0.0 Bye\r\n")
                return
            else:
                conn.send(b"250 2.0.0 Ok\r\n")
    rcpt_dialog(c)


def sc_control(c):
    """Control bytes (ESC, BEL, backspace) inside the banner text."""
    c.send(b"220 fake\x1b[2J\x07\x08 ESMTP\r\n")
    c.drain()


def sc_nul(c):
    """A NUL byte inside the banner."""
    c.send(b"220 fake\x00ESMTP\r\n")
    c.drain()


def sc_code600(c):
    """A reply code outside 2xx-5xx."""
    c.send(b"600 fake.example ESMTP\r\n")
    c.drain()


def sc_code199(c):
    c.send(b"199 fake.example ESMTP\r\n")
    c.drain()


def sc_early_reply(c):
    """Replies to EHLO as soon as 'EHLO' has arrived, before the client's
    command is complete (its name and CRLF)."""
    c.send(b"220 " + HOSTNAME + b" ESMTP fakesmtp\r\n")
    while b"EHLO" not in c.buf and b"LHLO" not in c.buf:
        c.buf += c.recv()
    c.send(b"250-" + HOSTNAME + b"\r\n250 8BITMIME\r\n")
    c.readline()  # the rest of the EHLO line
    while True:
        line = c.readline()
        if verb_of(line) == b"QUIT":
            c.send(b"221 2.0.0 Bye\r\n")
            return
        c.send(b"250 2.0.0 Ok\r\n")


def sc_unsolicited(c):
    """An extra, unsolicited reply right after the EHLO reply: the client
    must not take it for the reply to its next command."""
    dialog(c, ehlo=ehlo_reply(False) + b"250 2.0.0 unsolicited\r\n")


def sc_banner_twice(c):
    """Two greetings: the second one arrives where the EHLO reply should."""
    dialog(c, banner=b"220 " + HOSTNAME + b" ESMTP one\r\n220 " + HOSTNAME
           + b" ESMTP two\r\n")


def _reset(c):
    """Tears the connection down with a TCP RST (SO_LINGER 0)."""
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                      struct.pack("ii", 1, 0))
    c.sock.close()
    raise Closed()


def sc_reset_mid_reply(c):
    """Half of a multiline EHLO reply, then a TCP reset."""
    def half(conn):
        conn.send(b"250-" + HOSTNAME + b"\r\n250-PIPEL")
        time.sleep(0.1)
        _reset(conn)
    dialog(c, ehlo=half)


def sc_reset_mid_banner(c):
    """Half a banner line, then a TCP reset."""
    c.send(b"220 " + HOSTNAME + b" ESM")
    time.sleep(0.1)
    _reset(c)


# TLS handshakes torn down: the server takes the client's ClientHello (after
# its 220 to STARTTLS, or at once for implicit TLS) and then closes, or
# answers with half a ServerHello and falls silent.

def _need(c, n):
    while len(c.buf) < n:
        c.buf += c.recv()


def read_client_hello(c):
    """Reads the whole ClientHello handshake message (from as many TLS
    records as carry it) and logs 'clienthello N bytes', so a test knows
    the handshake had begun. Anything else than a ClientHello ends the
    connection."""
    msg = b""
    while len(msg) < 4 or len(msg) < 4 + int.from_bytes(msg[1:4], "big"):
        _need(c, 5)
        if c.buf[0] != 0x16:  # not a handshake record
            raise Closed()
        end = 5 + int.from_bytes(c.buf[3:5], "big")
        _need(c, end)
        msg += c.buf[5:end]
        c.buf = c.buf[end:]
    if msg[0] != 1:
        raise Closed()
    c.log.write(c.id, "clienthello %d bytes" % len(msg))
    return msg


def server_hello(client_hello):
    """A TLS 1.2 ServerHello record answering client_hello: its session id
    echoed, the first TLS 1.2 cipher suite it offers, no compression, an
    empty renegotiation_info (RFC 5746)."""
    p = 4 + 2 + 32
    sid = client_hello[p + 1:p + 1 + client_hello[p]]
    p += 1 + len(sid)
    n = int.from_bytes(client_hello[p:p + 2], "big")
    offered = [client_hello[i:i + 2] for i in range(p + 2, p + 2 + n, 2)]
    suite = next((s for s in offered if s[0] != 0x13 and s != b"\x00\xff"),
                 b"\xc0\x2f")
    ext = b"\xff\x01\x00\x01\x00"
    body = (b"\x03\x03" + os.urandom(32) + bytes([len(sid)]) + sid + suite
            + b"\x00" + len(ext).to_bytes(2, "big") + ext)
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(hs).to_bytes(2, "big") + hs


def _close_after_hello(c):
    read_client_hello(c)
    raise Closed()


def _half_hello(c):
    """Half the ServerHello record (its header promises the rest), then
    silence until the client gives up."""
    rec = server_hello(read_client_hello(c))
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.send(rec[:len(rec) // 2])
    c.log.write(c.id, "serverhello %d of %d bytes" % (len(rec) // 2, len(rec)))
    c.drain()


def _starttls_then(then):
    def starttls(c):
        c.send(b"220 2.0.0 Ready to start TLS\r\n")
        then(c)
    return starttls


def sc_tls_close_hello(c):
    """Implicit TLS: reads the ClientHello, then closes."""
    _close_after_hello(c)


def sc_starttls_close_hello(c):
    """STARTTLS answered 220; reads the ClientHello, then closes."""
    dialog(c, ehlo=ehlo_with(b"STARTTLS"),
           extra={b"STARTTLS": _starttls_then(_close_after_hello)})


def sc_tls_half_hello(c):
    """Implicit TLS: half a ServerHello, then silence."""
    _half_hello(c)


def sc_starttls_half_hello(c):
    """STARTTLS answered 220; half a ServerHello, then silence."""
    dialog(c, ehlo=ehlo_with(b"STARTTLS"),
           extra={b"STARTTLS": _starttls_then(_half_hello)})


HOSTILE = {
    "line4096": sc_line4096,
    "line4097": sc_line4097,
    "ehlo_line4097": sc_ehlo_line4097,
    "lines1000": sc_lines1000,
    "lines1001": sc_lines1001,
    "endless_fast": sc_endless_fast,
    "endless_slow": sc_endless_slow,
    "badutf8": sc_badutf8,
    "badutf8_rcpt": sc_badutf8_rcpt,
    "control": sc_control,
    "nul": sc_nul,
    "code600": sc_code600,
    "code199": sc_code199,
    "early_reply": sc_early_reply,
    "unsolicited": sc_unsolicited,
    "banner_twice": sc_banner_twice,
    "reset_mid_reply": sc_reset_mid_reply,
    "reset_mid_banner": sc_reset_mid_banner,
    "tls_close_hello": sc_tls_close_hello,
    "starttls_close_hello": sc_starttls_close_hello,
    "tls_half_hello": sc_tls_half_hello,
    "starttls_half_hello": sc_starttls_half_hello,
}

for _name in HOSTILE:
    assert _name not in SCENARIOS, "hostile scenario %s shadows another" % _name
SCENARIOS.update(HOSTILE)


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

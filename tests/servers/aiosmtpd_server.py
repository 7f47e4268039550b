#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""aiosmtpd_server.py - a REAL SMTP server for smtp-probe's integration tests.

The SMTP implementation is Debian's aiosmtpd (python3-aiosmtpd, run with
/usr/bin/python3); this script only configures one instance of it:

  --listen ADDR --port N     where to listen (port 0: any free port; the port
                             is written to --ready-file once it listens)
  --log FILE                 aiosmtpd's own log ("mail.log", level INFO):
                             every command line received (`>> b'MAIL ...'`,
                             AUTH payloads redacted by aiosmtpd), every
                             connection and its end
  --hostname NAME            the name in the banner and in EHLO's first line
  --ident TEXT               what follows NAME in the banner's first line
                             (default "ESMTP aiosmtpd")
  --banner TEXT              (repeatable) more banner lines: the banner
                             becomes `220-NAME IDENT`, `220-TEXT`...,
                             the last one `220 TEXT`
  --starttls CERT KEY        offer STARTTLS with this certificate
  --auth USER PASS           offer AUTH LOGIN and PLAIN (after STARTTLS
                             when --starttls is given, aiosmtpd's
                             auth_require_tls); one good user and password
  --refuse ADDR              RCPT TO:<ADDR> gets Gmail's 4-line 550 5.1.1
  --size N                   data_size_limit: EHLO advertises SIZE N
  --tls-abort MODE           the server makes the TLS handshake fail with an
                             alert: client-cert-12: TLS 1.2 only, a client
                             certificate required (CERT_REQUIRED): a client
                             that sends none gets "sslv3 alert handshake
                             failure" after the server's certificate;
                             client-cert-13: the same in TLS 1.3 only
                             ("tlsv13 alert certificate required", which the
                             client reads after its side of the handshake
                             finished); sni-internal-error: the server-name
                             callback ends the handshake on the ClientHello
                             ("tlsv1 alert internal error", no certificate
                             sent). The alert really reaches the client: see
                             AlertFlushingSSLProtocol.
  --tls-cert CERT --tls-key KEY  the certificate of --tls-abort
  --implicit-tls             TLS from the first byte (SMTPS) with --tls-abort;
                             without it --tls-abort applies to STARTTLS
"""

import argparse
import asyncio
import logging
import os
import ssl
import sys

from asyncio import sslproto

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

GMAIL_550 = "\r\n".join([
    "550-5.1.1 The email account that you tried to reach does not exist. Please try",
    "550-5.1.1 double-checking the recipient's email address for typos or",
    "550-5.1.1 unnecessary spaces. Learn more at",
    "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser",
])


class Handler:
    def __init__(self, refuse):
        self.refuse = {a.lower() for a in refuse}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return GMAIL_550
        envelope.rcpt_tos.append(address)
        return "250 OK"
    # No handle_DATA: aiosmtpd itself answers the end of data with "250 OK".


class ProbeSMTP(SMTP):
    # What most servers send (Postfix, Exim, Exchange); aiosmtpd's own
    # defaults are "User Name\0" and "Password\0".
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    banner = None          # list of lines after the first, or None

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._greeted = False

    async def push(self, status):
        # aiosmtpd greets with one line, `220 HOSTNAME IDENT`: a multi-line
        # banner replaces that first push of the connection.
        if not self._greeted:
            self._greeted = True
            if self.banner and isinstance(status, str) and status.startswith("220 "):
                lines = [status[4:]] + self.banner
                status = "\r\n".join(
                    ("220-" if i < len(lines) - 1 else "220 ") + text
                    for i, text in enumerate(lines))
        await super().push(status)


class AlertFlushingSSLProtocol(sslproto.SSLProtocol):
    """asyncio's SSL layer (used by aiosmtpd's STARTTLS and by an implicit-TLS
    listener alike), with one change: when the server's handshake fails,
    the alert OpenSSL wrote into the outgoing buffer is sent before the
    connection is closed. Python 3.11's asyncio drops it (it aborts the
    transport at once), so that a client sees a bare EOF where a real
    server (Postfix, Exim...) sends "handshake failure" or "certificate
    required". The alert is small and the socket writable: the transport
    sends it at once, before the close."""

    def _do_handshake(self):
        try:
            self._sslobj.do_handshake()
        except sslproto.SSLAgainErrors:
            self._process_outgoing()
        except ssl.SSLError as exc:
            self._process_outgoing()
            self._on_handshake_complete(exc)
        else:
            self._on_handshake_complete(None)


def flush_alerts():
    if hasattr(sslproto, "SSLAgainErrors") and hasattr(sslproto.SSLProtocol, "_process_outgoing"):
        # looked up at call time by asyncio (create_server(ssl=)) and by
        # aiosmtpd (smtp_STARTTLS) alike
        sslproto.SSLProtocol = AlertFlushingSSLProtocol
        return True
    return False


def server_context(cert, key, verify=False, version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if version == "1.2":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif version == "1.3":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if verify:
        # A client certificate is required and none will do (no CA loaded
        # but the server's own certificate): the handshake fails with an
        # alert from the server, after its Certificate was sent.
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cert)
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--hostname", default="mx.probe.test")
    ap.add_argument("--ident", default="ESMTP aiosmtpd")
    ap.add_argument("--banner", action="append", default=[])
    ap.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--auth", nargs=2, metavar=("USER", "PASS"))
    ap.add_argument("--refuse", action="append", default=[])
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--tls-abort", choices=["client-cert-12", "client-cert-13", "sni-internal-error"])
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--implicit-tls", action="store_true")
    a = ap.parse_args()

    lg = logging.getLogger("mail.log")
    lg.setLevel(logging.INFO)
    fh = logging.FileHandler(a.log)
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    lg.addHandler(fh)
    # asyncio's own complaints (a failed handshake) go to the same file
    logging.getLogger("asyncio").addHandler(fh)

    kw = {"hostname": a.hostname, "ident": a.ident}
    if a.size is not None:
        kw["data_size_limit"] = a.size
    starttls_ctx = None
    implicit_ctx = None
    if a.starttls:
        starttls_ctx = server_context(*a.starttls)
    if a.tls_abort:
        if not flush_alerts():
            lg.warning("this asyncio has no _process_outgoing: TLS alerts may be lost")
        if not (a.tls_cert and a.tls_key):
            ap.error("--tls-abort needs --tls-cert and --tls-key")
        if a.tls_abort == "sni-internal-error":
            ctx = server_context(a.tls_cert, a.tls_key)
            # called on the ClientHello (with or without a server name):
            # the handshake ends with the alert, before any certificate
            ctx.sni_callback = lambda sock, name, c: ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
        else:
            ctx = server_context(a.tls_cert, a.tls_key, verify=True,
                                 version=a.tls_abort[-2] + "." + a.tls_abort[-1])
        if a.implicit_tls:
            implicit_ctx = ctx
        else:
            starttls_ctx = ctx
    if starttls_ctx is not None:
        kw["tls_context"] = starttls_ctx
    if a.auth:
        user, password = a.auth[0].encode(), a.auth[1].encode()

        def authenticator(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login == user
                  and data.password == password)
            # handled=False: aiosmtpd answers a failure with its 535
            return AuthResult(success=ok, handled=False)

        kw["authenticator"] = authenticator
        kw["auth_require_tls"] = starttls_ctx is not None
        kw["auth_exclude_mechanism"] = []

    handler = Handler(a.refuse)
    banner = a.banner or None

    def factory():
        s = ProbeSMTP(handler, **kw)
        s.banner = banner
        return s

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, host=a.listen, port=a.port, ssl=implicit_ctx))
    port = server.sockets[0].getsockname()[1]
    lg.info("listening on %s:%d", a.listen, port)
    tmp = a.ready_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.ready_file)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())

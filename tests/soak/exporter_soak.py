#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""exporter_soak.py - many probes through smtp_probe_exporter's HTTP server:
its resident memory must not grow once it is warm (SPEC 10: flat over
100 000 probes).

    exporter_soak.py EXPORTER MANYSMTP [PROBES [CLIENTS]]
                     (default 100000 probes, 8 clients at once)

Starts tests/bench/manysmtp (one fast scripted SMTP server, SS_OK, no
banner delay) and the exporter on free loopback ports, then sends PROBES
/probe requests over CLIENTS keep-alive HTTP connections, by number modulo
10: 0-5 a full transaction (MAIL, RCPT, DATA: module "full"), 6-7 banner,
EHLO, QUIT ("plain"), 8 a closed port (failed at connect: "plain"), 9 a
target outside allow-target (403, before any connection). Every answer is
checked: 200 with probe_success 1 (0 for the closed port), or the 403.

Memory is read from /proc/PID/status (VmRSS) with no request in flight:
the requests go in batches and the reading waits for a batch to end. The
bar is the highest reading over the first 10 % of the probes (readings
every 1,000; page granularity moves VmRSS by a few pages either way): the
heap settles that long (measured over 100 000 probes: +16 KiB from 2,000 to
10,000, +52 KiB from there to the end, decelerating; valgrind finds no
allocation that grows with the probes). The run fails when the last reading
exceeds the bar by more than 1 %. Readings are printed every 10 %.
Exit 0 on success, 1 on failure. Standard library only.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_file(path, proc, secs=10):
    deadline = time.time() + secs
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read().split()
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    sys.exit("exporter_soak: %s did not become ready" % path)


def wait_port(port, proc, secs=30):
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    sys.exit("exporter_soak: the exporter did not listen on %d" % port)


def vmrss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    """One keep-alive connection; counts what it got wrong."""

    def __init__(self, port, smtp, closed):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.smtp = smtp
        self.closed = closed
        self.errors = []

    def one(self, n):
        kind = n % 10
        if kind <= 5:
            path, want = "/probe?module=full&target=" + self.smtp, (200, b"} 1\n")
        elif kind <= 7:
            path, want = "/probe?module=plain&target=" + self.smtp, (200, b"} 1\n")
        elif kind == 8:
            path, want = "/probe?module=plain&target=" + self.closed, (200, b"} 0\n")
        else:
            path, want = "/probe?module=plain&target=192.0.2.1", (403, b"")
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        success = [l for l in body.split(b"\n") if l.startswith(b"probe_success{")]
        if r.status != want[0] or (want[1] and (len(success) != 1 or not
                                                 (success[0] + b"\n").endswith(want[1]))):
            self.errors.append("probe %d (%s): HTTP %d %r" % (n, path, r.status, body[:200]))


def run_batch(clients, start, count):
    """Requests start .. start+count-1, spread over the clients; returns when all ended."""
    def work(i, c):
        for n in range(start + i, start + count, len(clients)):
            try:
                c.one(n)
            except (OSError, http.client.HTTPException) as e:
                c.errors.append("probe %d: %s" % (n, e))
    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    exporter, manysmtp = sys.argv[1], sys.argv[2]
    total = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    nclients = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    tmp = tempfile.mkdtemp(prefix="smtp-probe-exporter-soak.")
    procs = []
    try:
        ready = os.path.join(tmp, "smtp.ready")
        procs.append(subprocess.Popen([manysmtp, "--count", "1", "--banner-delay", "0",
                                       "--ready-file", ready]))
        words = wait_file(ready, procs[-1])
        smtp = "%s:%s" % (words[1], words[0])
        ini = os.path.join(tmp, "modules.ini")
        with open(ini, "w") as f:
            f.write("[full]\nfrom=soak@client.example\nrcpt=alice@example.test\ndata\n"
                    "allow-target=127.0.0.0/8\n\n[plain]\nallow-target=127.0.0.0/8\ntimeout=5\n")
        port = free_port()
        log = open(os.path.join(tmp, "exporter.log"), "w")
        procs.append(subprocess.Popen([exporter, "--config.file=" + ini,
                                       "--web.listen-address=127.0.0.1:%d" % port,
                                       "--max-concurrent=%d" % (nclients * 2)], stderr=log))
        exp = procs[-1]
        wait_port(port, exp)
        clients = [Client(port, smtp, "127.0.0.1:%d" % free_port()) for _ in range(nclients)]

        warmup = max(total // 10, 2000)
        marks = sorted(set(list(range(1000, warmup + 1, 1000)) +
                           [total * k // 10 for k in range(1, 11)]))
        marks = [m for m in marks if m <= total]
        done, warm, t0, last = 0, 0, time.time(), 0
        print("exporter soak: %d probes, %d clients, SMTP server %s" % (total, nclients, smtp))
        for mark in marks:
            run_batch(clients, done, mark - done)
            done = mark
            errors = sum(len(c.errors) for c in clients)
            if errors:
                for c in clients:
                    for e in c.errors[:5]:
                        print("  " + e)
                print("FAIL: %d wrong answers" % errors)
                return 1
            last = vmrss_kib(exp.pid)
            if done <= warmup:
                warm = max(warm, last)
            if done in [total * k // 10 for k in range(1, 11)]:
                print("  %6d probes  VmRSS %6d KiB  %.0f probes/s" % (done, last, done / (time.time() - t0)))
        limit = warm * 1.01
        verdict = "PASS" if last <= limit else "FAIL"
        print("%s: VmRSS after %d probes %d KiB, after warm-up (highest of 1,000-%s) %d KiB "
              "(limit +1 %%: %d KiB)" % (verdict, total, last, format(warmup, ","), warm, limit))
        exp.send_signal(signal.SIGTERM)
        rc = exp.wait(30)
        if rc != 0:
            print("FAIL: the exporter exited %d at SIGTERM" % rc)
            return 1
        return 0 if verdict == "PASS" else 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench.py - the measurements of `make bench`; tests/bench/run.sh starts
the servers (Postfix, the delay proxy, the fake servers) and calls this.

Prints one plain-text table and writes BENCHMARKS.md. Every figure is the
median of repeated runs with min..max; the commands of one part run
interleaved (one of each, then again), so that drift on the machine hits
all tools alike. Nothing is asserted: these are figures.
"""

import argparse
import datetime
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time

TMP = None           # private temp dir (run.sh's)
FROM, RCPT = "probe@example.test", "alice@example.test"
DIALOGS = {"a": "banner EHLO QUIT", "b": "+ MAIL RCPT", "c": "STARTTLS",
           "d": "+ --data (CHUNKING)"}
# Part 2 only: a message delivered per run is not what parts 1 and 3 compare.
DELIVERY = "d"


# ------------------------------------------------------------ measuring

def spawn(argv, env=None, stdin=None, stdout=None):
    """Runs argv once: (wall s, CPU s, peak RSS bytes, exit code).

    CPU is user+sys from wait4() of GNU time, which covers the command and
    every descendant it waited for (xargs: all its check_smtp). Peak RSS is
    GNU time's %M: the command's own, or the largest of its children's.
    (Spawned straight from this interpreter, the child's ru_maxrss would
    start at the interpreter's size.)
    """
    with tempfile.NamedTemporaryFile("r", dir=TMP) as rss:
        fa = [(os.POSIX_SPAWN_OPEN, 0, stdin or os.devnull, os.O_RDONLY, 0),
              (os.POSIX_SPAWN_OPEN, 1, stdout or os.devnull,
               os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
        t0 = time.perf_counter()
        pid = os.posix_spawn("/usr/bin/time",
                             ["/usr/bin/time", "-f", "%M", "-o", rss.name] + argv,
                             env if env is not None else os.environ,
                             file_actions=fa)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        kib = int(rss.read().split()[-1])
    return wall, ru.ru_utime + ru.ru_stime, kib * 1024, os.waitstatus_to_exitcode(status)


def callgrind(argv, env):
    """Total instructions (Ir) of one run under callgrind, and its exit."""
    with tempfile.NamedTemporaryFile("r", dir=TMP) as out:
        p = subprocess.run(["valgrind", "--tool=callgrind", "-q",
                            "--callgrind-out-file=" + out.name] + argv,
                           env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        m = re.search(r"^(?:summary|totals): (\d+)", out.read(), re.M)
    return (int(m.group(1)) if m else None), p.returncode


def med(v):
    s = sorted(v)
    return s[len(s) // 2]


def fig(values, scale=1.0, prec=1):
    """'median (min..max)' of values times scale."""
    v = [x * scale for x in values]
    return "%.*f (%.*f..%.*f)" % (prec, med(v), prec, min(v), prec, max(v))


def exits(codes):
    s = sorted(set(codes))
    return ",".join(str(c) for c in s) if s != [0] else "0"


def table(headers, rows):
    """Plain text lines, columns aligned; the first column of a row is left
    empty where it repeats the row above."""
    rows = [[""] + r[1:] if i and r[0] == rows[i - 1][0] else r
            for i, r in enumerate(rows)]
    w = [max(len(r[i]) for r in [headers] + rows) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.ljust(n) for c, n in zip(r, w)).rstrip()
    return [line(headers), line(["-" * n for n in w])] + [line(r) for r in rows]


# ------------------------------------------------------------ the commands

class Tools:
    def __init__(self, a):
        self.bin = a.plugin
        self.env = dict(os.environ)
        if a.ld_library_path:
            self.env["LD_LIBRARY_PATH"] = a.ld_library_path
        self.plain = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
        self.check_smtp, self.swaks, self.ca = a.check_smtp, a.swaks, a.ca

    def dialogs(self, port, insecure_row=True):
        """[(dialog, tool, argv, env)] for a server on 127.0.0.1:port."""
        o = [self.bin, "-H", "127.0.0.1", "-p", str(port)]
        c = [self.check_smtp, "-H", "127.0.0.1", "-p", str(port)]
        s = [self.swaks, "--server", "127.0.0.1", "--port", str(port)]
        rows = [
            ("a", "check_smtp_probe", o, self.env),
            ("a", "check_smtp", c, self.plain),
            ("a", "swaks", s + ["--quit-after", "HELO"], self.plain),
            ("b", "check_smtp_probe", o + ["-f", FROM, "--rcpt", RCPT], self.env),
            ("b", "check_smtp", c + ["-f", FROM, "-C", "RCPT TO:<%s>" % RCPT, "-R", "250"], self.plain),
            ("b", "swaks", s + ["--from", FROM, "--to", RCPT, "--quit-after", "RCPT", "--pipeline"], self.plain),
            ("c", "check_smtp_probe", o + ["-S", "--ca-file", self.ca], self.env),
            ("c", "check_smtp_probe --insecure", o + ["-S", "--insecure"], self.env),
            ("c", "check_smtp", c + ["-S"], self.plain),
            ("c", "swaks", s + ["-tls", "--quit-after", "HELO"], self.plain),
            # swaks has no BDAT: it sends DATA, the message and the dot.
            ("d", "check_smtp_probe", o + ["-f", FROM, "--rcpt", RCPT, "--data"], self.env),
            ("d", "swaks", s + ["--from", FROM, "--to", RCPT, "--pipeline"], self.plain),
        ]
        return [r for r in rows if insecure_row or "--insecure" not in r[1]]


def shown(argv, port=None):
    """A command as BENCHMARKS.md shows it: paths and ports by name."""
    names = {TOOLS.bin: "check_smtp_probe", TOOLS.check_smtp: "check_smtp",
             TOOLS.swaks: "swaks", TOOLS.ca: "ca.crt"}
    out = []
    for x in argv:
        x = names.get(x, x)
        if port is not None and x == str(port):
            out.append("$PORT")
        else:
            out.append("'%s'" % x if re.search(r"[^\w@%+=:,./-]", x) else x)
    return " ".join(out)


# ------------------------------------------------------------ 1. per check

def part_local(runs, port):
    cmds = [c for c in TOOLS.dialogs(port) if c[0] not in DELIVERY]
    res = [[] for _ in cmds]
    for _ in range(runs):
        for i, (_, _, argv, env) in enumerate(cmds):
            res[i].append(spawn(argv, env))
    rows = []
    for (d, tool, argv, _), r in zip(cmds, res):
        rows.append([d + " " + DIALOGS[d], tool, fig([x[0] for x in r], 1e3),
                     fig([x[1] for x in r], 1e3), fig([x[2] for x in r], 1 / 1048576, 2),
                     exits([x[3] for x in r])])
    return rows


# ------------------------------------------------------------ 2. round trips

def reply(f):
    """Reads one SMTP reply (all its lines) from a file object."""
    while True:
        line = f.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return line


def reference(port, d):
    """The dialog as the model's ideal client runs it, in this process (no
    start-up): (wall s, ok). Replies are read whole; nothing is judged."""
    t0 = time.perf_counter()
    try:
        ok = ref_dialog(port, d)
    except OSError:
        ok = False
    return time.perf_counter() - t0, ok


def ref_dialog(port, d):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    ok = reply(f).startswith(b"220")
    s.sendall(b"EHLO bench.example\r\n")
    ok &= reply(f).startswith(b"250")
    if d == "d":
        msg = b"From: <%s>\r\nTo: <%s>\r\nSubject: bench\r\n\r\nbench\r\n" % (
            FROM.encode(), RCPT.encode())
        s.sendall(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nBDAT %d LAST\r\n%sQUIT\r\n"
                  % (FROM.encode(), RCPT.encode(), len(msg), msg))
        for code in (b"250", b"250", b"250", b"221"):
            ok &= reply(f).startswith(code)
    elif d == "b":
        s.sendall(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nRSET\r\nQUIT\r\n"
                  % (FROM.encode(), RCPT.encode()))
        for code in (b"250", b"250", b"250", b"221"):
            ok &= reply(f).startswith(code)
    else:
        if d == "c":
            s.sendall(b"STARTTLS\r\n")
            ok &= reply(f).startswith(b"220")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            f.close()
            s = ctx.wrap_socket(s, server_hostname="mail.probe.test")
            f = s.makefile("rb")
            s.sendall(b"EHLO bench.example\r\n")
            ok &= reply(f).startswith(b"250")
        s.sendall(b"QUIT\r\n")
        ok &= reply(f).startswith(b"221")
    f.close()
    s.close()
    return ok


MINIMUM = {"a": 2.5, "b": 2.5, "c": 5.5, "d": 2.5}


def part_rtt(runs, port_hi, port_lo, rtt_hi, rtt_lo):
    """Each dialog at two latencies: wall = local + round trips x RTT, so
    the slope between them counts the round trips and the intercept is the
    tool's own time (start-up, CPU, exit): see MODEL."""
    cmds_hi = TOOLS.dialogs(port_hi, insecure_row=False)
    cmds_lo = TOOLS.dialogs(port_lo, insecure_row=False)
    refs = ["a", "b", "c", "d"]
    hi, lo = [[] for _ in cmds_hi], [[] for _ in cmds_hi]
    ref_hi, ref_lo = {d: [] for d in refs}, {d: [] for d in refs}
    for _ in range(runs):
        for d in refs:
            ref_hi[d].append(reference(port_hi, d) + (0,))
            ref_lo[d].append(reference(port_lo, d) + (0,))
        for i in range(len(cmds_hi)):
            hi[i].append(spawn(cmds_hi[i][2], cmds_hi[i][3]))
            lo[i].append(spawn(cmds_lo[i][2], cmds_lo[i][3]))

    def row(d, tool, rh, rl, ok):
        rt = [(h[0] - l[0]) / (rtt_hi - rtt_lo) for h, l in zip(rh, rl)]
        local = med([x[0] for x in rl]) - med(rt) * rtt_lo
        return [d + " " + DIALOGS[d], tool, fig([x[0] for x in rh], 1e3),
                fig([x[0] for x in rl], 1e3), "%.1f" % (local * 1e3), fig(rt, 1, 2),
                "%.1f" % MINIMUM[d], ok]

    rows = []
    for d in refs:
        good = all(x[1] for x in ref_hi[d] + ref_lo[d])
        rows.append(row(d, "reference client (in-process)",
                        ref_hi[d], ref_lo[d], "0" if good else "reply not OK"))
        for (dd, tool, _, _), rh, rl in zip(cmds_hi, hi, lo):
            if dd == d:
                rows.append(row(d, tool, rh, rl, exits([x[3] for x in rh + rl])))
    return rows


# ------------------------------------------------------------ 3. callgrind

def part_callgrind(runs, port):
    cmds = [c for c in TOOLS.dialogs(port) if c[0] in "ac" and c[1] != "swaks"]
    res = [[] for _ in cmds]
    for _ in range(runs):
        for i, (_, _, argv, env) in enumerate(cmds):
            res[i].append(callgrind(argv, env))
    rows, ir = [], {}
    for (d, tool, _, _), r in zip(cmds, res):
        v = [x[0] for x in r if x[0] is not None]
        if not v:
            rows.append([d + " " + DIALOGS[d], tool, "no callgrind output", "", ""])
            continue
        ir[(d, tool)] = med(v)
        rows.append([d + " " + DIALOGS[d], tool, fig(v, 1e-6, 2), "",
                     exits([x[1] for x in r])])
    for row, (d, tool, _, _) in zip(rows, cmds):
        base = ir.get((d, "check_smtp"))
        if (d, tool) in ir and base:
            row[3] = "%.2f" % (ir[(d, tool)] / base)
    return rows


# ------------------------------------------------------------ 4. scale

def multi_host_ok(port, hosts):
    """Does one invocation check several -H? (Before it did, the last -H won.)"""
    p = subprocess.run([TOOLS.bin, "-p", str(port), "-H", hosts[0], "-H", hosts[1],
                        "--output", "json"], env=TOOLS.env, capture_output=True)
    try:
        return len(json.loads(p.stdout)["targets"]) == 2
    except (ValueError, KeyError, TypeError):
        return False


def proc_cpu(pid):
    """CPU seconds (user+sys) a running process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_cpu_exact(pid):
    """CPU seconds a running process has used so far, to the nanosecond:
    the sum of its threads' run time (/proc/PID/task/*/schedstat). Part 5's
    1000 probes cost a daemon about 0.2 s, where /proc/PID/stat's 10 ms
    ticks would be a 5 % step. A thread that exits between two readings
    takes its time with it: the daemons measured keep theirs (blackbox's
    Go runtime threads live as long as it does)."""
    total, tasks = 0, "/proc/%d/task" % pid
    try:
        for tid in os.listdir(tasks):
            with open(os.path.join(tasks, tid, "schedstat")) as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return proc_cpu(pid)
    return total / 1e9


def part_scale(runs, port, hosts, ns, pcap, server_pid):
    multi = multi_host_ok(port, hosts)
    lists = {}
    for n in ns:
        lists[n] = os.path.join(TMP, "hosts.%d" % n)
        with open(lists[n], "w") as f:
            f.writelines(h + "\n" for h in hosts[:n])
    out = os.path.join(TMP, "scale.out")
    ours = {n: [] for n in ns}
    xa = {n: [] for n in ns}
    oks = {n: [] for n in ns}

    def ours_argv(n):
        argv = [TOOLS.bin, "-p", str(port)]
        for h in hosts[:n]:
            argv += ["-H", h]
        return argv + (["--max-targets", str(n)] if n > 32 else [])

    def xargs_argv(n):
        return ["xargs", "-P", str(min(n, pcap)), "-n", "1", TOOLS.check_smtp,
                "-p", str(port), "-H"]

    # The fake servers' own CPU per run, for the reader to see how much of
    # the two CPUs the test bed took.
    srv_ours = {n: [] for n in ns}
    srv_xa = {n: [] for n in ns}
    for _ in range(runs):
        for n in ns:
            if n == 1 or multi:
                c0 = proc_cpu(server_pid)
                ours[n].append(spawn(ours_argv(n), TOOLS.env))
                srv_ours[n].append(proc_cpu(server_pid) - c0)
            c0 = proc_cpu(server_pid)
            xa[n].append(spawn(xargs_argv(n), TOOLS.plain, stdin=lists[n], stdout=out))
            srv_xa[n].append(proc_cpu(server_pid) - c0)
            with open(out, "rb") as f:
                oks[n].append(sum(1 for ln in f if ln.startswith(b"SMTP OK")))
    rows = []
    rss1 = med([x[2] for x in ours[1]]) if ours[1] else None
    for n in ns:
        if ours[n]:
            r = ours[n]
            # Below N = 100 the difference drowns in RSS's page-level noise.
            per = ("%.1f" % ((med([x[2] for x in r]) - rss1) / (n - 1) / 1024)
                   if n >= 100 else "")
            rows.append([str(n), "check_smtp_probe, one process", fig([x[0] for x in r], 1e3, 0),
                         fig([x[1] for x in r], 1e3, 0), fig([x[2] for x in r], 1 / 1048576, 1),
                         per, "%.0f" % (med(srv_ours[n]) * 1e3), "exit " + exits([x[3] for x in r])])
        else:
            rows.append([str(n), "check_smtp_probe, one process",
                         "n/a: repeatable -H not supported by this build", "", "", "", "", ""])
        r = xa[n]
        rows.append(["", "check_smtp x%d, xargs -P %d" % (n, min(n, pcap)),
                     fig([x[0] for x in r], 1e3, 0), fig([x[1] for x in r], 1e3, 0),
                     "%s x%d = %.1f" % (fig([x[2] for x in r], 1 / 1048576, 1), n,
                                        n * med([x[2] for x in r]) / 1048576),
                     "", "%.0f" % (med(srv_xa[n]) * 1e3), "%d/%d OK" % (med(oks[n]), n)])
    top = max(ns)
    COMMANDS.append(("4: scale (N addresses 127.1.x.y, one port $PORT)", [
        shown(ours_argv(2)[:3], port) + " -H 127.1.0.1 -H 127.1.0.2 ... -H <N-th>"
        + " [--max-targets N if N > 32]",
        shown(xargs_argv(top), port).replace("-P %d" % min(top, pcap), "-P min(N,%d)" % pcap)
        + " < <N addresses, one a line>"]))
    return rows


# ------------------------------------------------------------ 5. exporters

BLACKBOX_YML = """\
modules:
  plain:
    prober: tcp
    timeout: 10s
    tcp:
      preferred_ip_protocol: ip4
      query_response:
        - expect: "^220 "
        - send: "EHLO bench.example\\r"
        - expect: "^250 "
        - send: "QUIT\\r"
        - expect: "^221 "
  starttls:
    prober: tcp
    timeout: 10s
    tcp:
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: "%(ca)s"
      query_response:
        - expect: "^220 "
        - send: "EHLO bench.example\\r"
        - expect: "^250 "
        - send: "STARTTLS\\r"
        - expect: "^220 "
        - starttls: true
        - send: "EHLO bench.example\\r"
        - expect: "^250 "
        - send: "QUIT\\r"
        - expect: "^221 "
"""

EXPORTER_INI = """\
[plain]
timeout=10
fqdn=bench.example
allow-target=127.0.0.1

[starttls]
starttls
ca-file=%(ca)s
timeout=10
fqdn=bench.example
allow-target=127.0.0.1
"""

PROBE_OK = re.compile(rb"^probe_success(\{[^}]*\})? 1$", re.M)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid, key):
    """A field of /proc/PID/status in bytes (VmHWM, VmRSS)."""
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1]) * 1024
    return 0


class Daemon:
    """An exporter started privately on 127.0.0.1:<free port>, ready when
    its URL answers 200; stopped with SIGTERM."""

    def __init__(self, argv, env, ready_path):
        self.port = free_tcp_port()
        argv = [a.replace("$PORT", str(self.port)) for a in argv]
        self.log = open(os.path.join(TMP, "daemon.%d.log" % self.port), "wb")
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                  stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not self.get(ready_path)[0] == 200:
            if self.p.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("%s did not start: see %s" % (argv[0], self.log.name))
            time.sleep(0.05)

    def get(self, path, conn=None):
        import http.client
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        except OSError:
            return 0, b""
        finally:
            if conn is None:
                c.close()

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.log.close()


def drive(d, path, n, conc):
    """n GETs of path at concurrency conc (keep-alive connections, one per
    client thread): (wall s, number of answers with probe_success 1)."""
    import http.client
    import threading
    left, ok, lock = [n], [0], threading.Lock()

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            st, body = d.get(path, c)
            if st == 0:
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
            good = st == 200 and PROBE_OK.search(body) is not None
            with lock:
                ok[0] += good
        c.close()

    t0 = time.perf_counter()
    th = [threading.Thread(target=worker) for _ in range(conc)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    return time.perf_counter() - t0, ok[0]


def exporter_run(argv, env, ready, path, n, conc):
    """A fresh daemon, 20 probes to warm it, then n probes: (probes per
    CPU second, wall s, peak RSS bytes, probes OK)."""
    d = Daemon(argv, env, ready)
    try:
        drive(d, path, 20, min(conc, 20))
        c0 = proc_cpu_exact(d.p.pid)
        wall, ok = drive(d, path, n, conc)
        cpu = proc_cpu_exact(d.p.pid) - c0
        hwm = proc_status(d.p.pid, "VmHWM")
    finally:
        d.stop()
    return n / cpu if cpu > 0 else float("inf"), wall, hwm, ok


def forked_run(argv, env, n, conc):
    """n checks, one process each, conc at a time (xargs -P): (checks per
    CPU second of all of them, wall s, the largest one's peak RSS, OK)."""
    lst = os.path.join(TMP, "fork.list")
    with open(lst, "w") as f:
        f.write("127.0.0.1\n" * n)
    out = os.path.join(TMP, "fork.out")
    wall, cpu, rss, _ = spawn(["xargs", "-P", str(conc), "-n", "1"] + argv, env,
                              stdin=lst, stdout=out)
    with open(out, "rb") as f:
        ok = sum(1 for ln in f if ln.startswith(b"SMTP OK"))
    return n / cpu if cpu > 0 else float("inf"), wall, rss, ok


def part_exporters(a, port):
    n, conc, runs = a.exp_n, a.exp_c, a.exp_runs
    ca = TOOLS.ca
    with open(os.path.join(TMP, "blackbox.yml"), "w") as f:
        f.write(BLACKBOX_YML % {"ca": ca})
    with open(os.path.join(TMP, "exporter.ini"), "w") as f:
        f.write(EXPORTER_INI % {"ca": ca})
    target = "127.0.0.1:%d" % port
    tools = []
    if a.exporter and os.access(a.exporter, os.X_OK):
        tools.append(("smtp_probe_exporter", "exporter",
                      [a.exporter, "--config.file=" + os.path.join(TMP, "exporter.ini"),
                       "--web.listen-address=127.0.0.1:$PORT",
                       "--max-concurrent=%d" % max(100, conc)], TOOLS.env, "/-/healthy"))
    if a.blackbox and os.access(a.blackbox, os.X_OK):
        tools.append(("blackbox_exporter " + sh("'%s' --version 2>&1 | sed -n '1s/.*version \\([^ ]*\\).*/\\1/p'"
                                                  % a.blackbox),
                      "exporter",
                      [a.blackbox, "--config.file=" + os.path.join(TMP, "blackbox.yml"),
                       "--web.listen-address=127.0.0.1:$PORT"], TOOLS.plain, "/-/healthy"))
    forks = [
        ("check_smtp, a process per check", {"plain": [TOOLS.check_smtp, "-p", str(port), "-H"],
                                             "starttls": [TOOLS.check_smtp, "-p", str(port), "-S", "-H"]},
         TOOLS.plain),
        ("check_smtp_probe, a process per check",
         {"plain": [TOOLS.bin, "-p", str(port), "-H"],
          "starttls": [TOOLS.bin, "-p", str(port), "-S", "--ca-file", ca, "-H"]}, TOOLS.env),
    ]
    res = {}
    for _ in range(runs):
        for mod in ("plain", "starttls"):
            for name, _, argv, env, ready in tools:
                path = "/probe?module=%s&target=%s" % (mod, target)
                res.setdefault((mod, name), []).append(
                    exporter_run(argv, env, ready, path, n, conc))
            for name, argvs, env in forks:
                res.setdefault((mod, name), []).append(forked_run(argvs[mod], env, n, conc))
    rows = []
    for mod in ("plain", "starttls"):
        label = {"plain": "banner EHLO QUIT", "starttls": "STARTTLS, verified"}[mod]
        base = None
        for name, _, _, _, _ in tools:
            if name.startswith("blackbox") and (mod, name) in res:
                base = res[(mod, name)]
        for name in [t[0] for t in tools] + [f[0] for f in forks]:
            r = res.get((mod, name))
            if not r:
                continue
            rss = fig([x[2] for x in r], 1 / 1048576, 1)
            if "process per check" in name:
                rss += " each, x%d at once" % conc
            # Per run: a run's daemons are measured one after the other,
            # seconds apart, so the machine's drift between runs (20 %
            # here) cancels out of the ratio.
            ratio = fig([x[0] / b[0] for x, b in zip(r, base)], 1, 1) if base else ""
            rows.append([label, name, fig([x[0] for x in r], 1, 0), ratio,
                         fig([n / x[1] for x in r], 1, 0), rss,
                         "%d/%d" % (min(x[3] for x in r), n)])
    if not any(t[0] == "smtp_probe_exporter" for t in tools):
        rows.append(["", "smtp_probe_exporter", "n/a: not built", "", "", "", ""])
    COMMANDS.append(("5: exporters (%d probes at concurrency %d per figure, a fresh daemon each)"
                     % (n, conc), [
                         "GET /probe?module=plain&target=127.0.0.1:$PORT     (and module=starttls)",
                         "smtp_probe_exporter --config.file=exporter.ini --web.listen-address=127.0.0.1:$EXP",
                         "prometheus-blackbox-exporter --config.file=blackbox.yml --web.listen-address=127.0.0.1:$EXP",
                         "xargs -P %d -n 1 check_smtp -p $PORT [-S] -H < <127.0.0.1, %d lines>" % (conc, n),
                         "xargs -P %d -n 1 check_smtp_probe -p $PORT [-S --ca-file ca.crt] -H < <127.0.0.1, %d lines>"
                         % (conc, n),
                         "", "exporter.ini:"] + (EXPORTER_INI % {"ca": "ca.crt"}).splitlines() +
                     ["", "blackbox.yml:"] + (BLACKBOX_YML % {"ca": "ca.crt"}).splitlines()))
    return rows


# ------------------------------------------------------------ the report

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def machine(a):
    cpu = sh("grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-").strip()
    pk = sh("dpkg-query -W -f '${Package} ${Version}\\n' postfix monitoring-plugins-standard "
            "swaks openssl libssl3 libevent-2.1-7 libudns0 valgrind python3 "
            "prometheus-blackbox-exporter 2>/dev/null")
    ver = sh("'%s' -V 2>&1 | head -n 1" % a.plugin) if not a.ld_library_path else \
        sh("LD_LIBRARY_PATH='%s' '%s' -V 2>&1 | head -n 1" % (a.ld_library_path, a.plugin))
    rev = sh("git -C '%s' describe --always --dirty 2>/dev/null" % a.srcdir)
    return [
        "date:       " + datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine:    %s CPUs (nproc), %s" % (sh("nproc"), cpu or "unknown CPU"),
        "system:     Debian %s, kernel %s" % (sh("cat /etc/debian_version"), sh("uname -r")),
        "plugin:     %s%s" % (ver, " (git %s)" % rev if rev else ""),
        "load avg:   %s at the start, %s at the end (1, 5, 15 min)" % (a.load_start, LOAD_END),
        "packages:   " + "; ".join(pk.splitlines()),
    ]


MODEL = """\
How round trips are counted
---------------------------
The delay proxy (tests/bench/delayproxy.py) sits on loopback between the
client and Postfix and holds every chunk it reads for D ms before passing
it on, in each direction, in order (an end of stream too): a round trip
costs RTT = 2D. Every dialog runs through two such proxies, D = {d:g} ms
(RTT {rtt:g} ms) and D = {dlo:g} ms (RTT {rttlo:g} ms), interleaved. Its wall time
is local + n x RTT, where local is the tool's own time (start-up, CPU,
exit) and n its round trips, so
    n = (wall at RTT {rtt:g} - wall at RTT {rttlo:g}) / ({rtt:g} - {rttlo:g}) ms
(per pair of interleaved runs; median (min..max) shown) and "local ms"
= wall at RTT {rttlo:g} - n x {rttlo:g} ms. Dividing by one RTT alone would count
start-up as round trips (swaks' Perl start-up is several RTTs); a
baseline at D = 0 would not do either: there the loopback legs are busy
back to back and TCP's delayed-ACK timing differs (see below).

The theoretical minimum of each dialog, for a client that judges every
reply (as check_smtp_probe and check_smtp do) and sends nothing before the
220 banner (RFC 5321 4.3.1; Postfix postscreen penalises early talkers):

* The TCP handshake is with the proxy on loopback: it costs ~0 here (on a
  real link it is 1 RTT, and the banner leaves the server only after the
  handshake completes there: add 1.5 RTT to every figure for the real
  world; the difference is the same for every tool).
* banner: the server speaks first; its 220 arrives 0.5 RTT after connect.
* EHLO: 1 RTT. It cannot be pipelined: RFC 2920 allows EHLO only as the
  last command of a group, and PIPELINING is known only from its reply.
* a: banner + EHLO + QUIT = 0.5 + 1 + 1 = 2.5 RTT (QUIT is judged: its 221
  is waited for).
* b: with PIPELINING (Postfix advertises it), MAIL, RCPT, RSET and QUIT
  go as one group (RFC 2920: QUIT may end a group), every reply still
  judged: 0.5 + 1 + 1 = 2.5 RTT. Without pipelining each command waits for
  its reply: MAIL, RCPT, RSET, QUIT = 0.5 + 1 + 4 = 5.5 RTT (check_smtp,
  which sends no RSET: 4.5; swaks --pipeline: 2.5).
* c: STARTTLS must end its group and its 220 be read before the handshake
  (RFC 3207): banner 0.5 + EHLO 1 + STARTTLS 1 + TLS 1.3 handshake 1
  (ClientHello -> ServerHello..Finished) + EHLO again 1 (it may leave
  with the client's Finished, whose reply then comes 1 RTT later) + QUIT 1
  = 5.5 RTT. TLS 1.2 would add 1 RTT (two-round-trip handshake).
* d (part 2 only; each run delivers a message): with CHUNKING and
  PIPELINING (Postfix advertises both), MAIL, RCPT and BDAT <n> LAST with
  the message and QUIT go as one group (RFC 3030: BDAT LAST ends the
  message, and QUIT may follow it; after DATA's final dot it may not,
  Haraka refuses it there), every reply judged: 0.5 + 1 + 1 = 2.5 RTT,
  what the RCPT check b costs. With DATA (swaks --pipeline; swaks has no
  BDAT): MAIL, RCPT and DATA as one group, then the message and the dot,
  then QUIT = 4.5 RTT.
* Closing costs nothing: after the 221 the client closes without waiting.

The reference client rows run exactly these dialogs from a few lines of
Python in the benchmark's own process (no start-up, no judging beyond the
reply code); they show what the proxy and the server allow.

What the proxy does not model: it terminates TCP on both sides, so TCP's
own timing (Nagle, delayed ACKs, slow start) plays out on its two
zero-latency loopback legs, not over the simulated link. It acknowledges
every segment at once and never delays its own writes, so such stalls
are absent from part 2; they do show in part 1, where the tools talk to
Postfix directly. One seen here: after a TLS 1.3 handshake Postfix sends
its session tickets, then the EHLO reply; the reply is held back (Nagle)
until the tickets are acknowledged, and a client whose EHLO left together
with its Finished has nothing more to send, so its kernel acknowledges
only when the delayed-ACK timer fires (40 ms on Linux). Over a real link
such a stall costs at least one more round trip, for any client.
"""

METHOD = """\
How the other figures are taken
-------------------------------
* check_smtp_probe is the build tree's binary (plugin/.libs/, with
  LD_LIBRARY_PATH=lib/.libs), not libtool's wrapper script.
* 1: wall time from spawn to exit; CPU = user + system time of the process
  (wait4 of GNU time, so time's own ~0.5 ms is in every figure alike);
  peak RSS = GNU time's %M of the tool (shared library pages it touched
  count in full). Against the private Postfix on 127.0.0.1 (tests/lib/
  postfix.sh), STARTTLS with a certificate of a test CA (tests/lib/
  tlsca.sh). check_smtp_probe verifies the certificate (--ca-file with
  the test CA); its "--insecure" row fails on nothing, like check_smtp
  and swaks (which verify nothing), but still verifies and reports, with
  the system trust store (no --ca-file), as a check without --ca-file
  does in production.
  check_smtp greets with HELO unless -S, and sends no RSET; swaks
  --quit-after RCPT sends no RSET either; check_smtp_probe sends RSET.
* 3: instructions executed by the whole process (dynamic loader,
  library initialisation, the dialog, exit), from callgrind's totals;
  "ratio" is to check_smtp for the same dialog.
* 4: tests/bench/manysmtp serves N addresses 127.1.x.y from one process
  (the soak's scripted C server, tests/lib/scriptsrv.h, on libevent);
  each connection gets its 220 after {delay:g} ms, then EHLO/HELO/QUIT are
  answered at once. check_smtp_probe checks all N in one
  process (repeatable -H, concurrently); check_smtp is run N times by
  xargs -P min(N, {pcap}). Wall and CPU of xargs include all its
  check_smtp; their memory is shown as the largest single check_smtp's
  peak RSS times N. Per target = (RSS(N) - RSS(1)) / (N - 1), shown
  from N = 100 on (below, it drowns in the run-to-run noise of RSS).
  The fake servers' own CPU ("servers' CPU ms", median, from /proc, 10 ms
  ticks) is spent on the same {ncpu} CPUs.
* 5: each figure is a fresh daemon (started for it, warmed with 20
  probes, stopped after), then N probes of /probe driven by a Python
  client at fixed concurrency over keep-alive connections, against the
  private Postfix. "probes per CPU s" = N / (the daemon's CPU time over
  the N probes: its threads' run time in nanoseconds,
  /proc/PID/task/*/schedstat, user, system and the softirq work done on
  its behalf alike, where /proc/PID/stat's 10 ms ticks would be steps of
  about 5 %; the client's CPU is not counted); peak RSS = the daemon's
  VmHWM (/proc/PID/status) after them. "x blackbox" = the median (min..max)
  of each run's ratio to blackbox_exporter's figure of the same run.
  "OK" counts answers with probe_success 1. The blackbox_exporter modules
  are tcp probes doing the same dialog (query_response: banner, EHLO,
  [STARTTLS, handshake verifying the test CA, EHLO,] QUIT), and both
  exporters say "EHLO bench.example" (our default name would cost two
  system calls a probe that blackbox_exporter's fixed one does not); the forked
  rows run the same check as one process per check (xargs -P), with CPU
  and RSS from wait4 (GNU time) over all of them. check_smtp verifies no
  certificate; the others verify it against the test CA.
"""


def main():
    global TMP, TOOLS, COMMANDS, LOAD_END
    ap = argparse.ArgumentParser()
    for o in ("plugin", "ld-library-path", "check-smtp", "swaks", "ca", "tmp", "out",
              "srcdir", "load-start", "proxy-ready", "many-ready", "exporter", "blackbox"):
        ap.add_argument("--" + o, default="")
    ap.add_argument("--pf-port", type=int, required=True)
    ap.add_argument("--many-pid", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--delay-lo-ms", type=float, required=True)
    ap.add_argument("--banner-delay-ms", type=float, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--rtt-runs", type=int, required=True)
    ap.add_argument("--callgrind-runs", type=int, required=True)
    ap.add_argument("--scale-runs", type=int, required=True)
    ap.add_argument("--scale-n", default="1,10,100,1000")
    ap.add_argument("--xargs-cap", type=int, default=1000)
    ap.add_argument("--exp-n", type=int, default=1000)
    ap.add_argument("--exp-c", type=int, default=10)
    ap.add_argument("--exp-runs", type=int, default=3)
    ap.add_argument("--parts", default="12345")
    a = ap.parse_args()
    TMP, TOOLS, COMMANDS = a.tmp, Tools(a), []
    t_start = time.monotonic()
    rtt, rtt_lo = 2 * a.delay_ms / 1000, 2 * a.delay_lo_ms / 1000
    ports = {float(ms): int(port) for ms, port in
             (ln.split() for ln in open(a.proxy_ready))}
    with open(a.many_ready) as f:
        many = f.read().split()
    many_port, hosts = int(many[0]), many[1:]
    # N = 1 is the base of the per-target memory.
    ns = sorted({1} | {int(n) for n in a.scale_n.split(",") if 0 < int(n) <= len(hosts)})

    def say(msg):
        print("bench: %s (%.0f s)" % (msg, time.monotonic() - t_start), file=sys.stderr, flush=True)

    local = rtt_rows = cg = scale = exp = None
    COMMANDS.append(("1, 2, 3: the dialogs ($PORT: Postfix's, or a delay proxy's)",
                     [shown(c[2], a.pf_port) for c in TOOLS.dialogs(a.pf_port)]))
    if "1" in a.parts:
        say("1. per check against Postfix, %d runs" % a.runs)
        local = part_local(a.runs, a.pf_port)
    if "2" in a.parts:
        say("2. round trips through the delay proxy, %d runs" % a.rtt_runs)
        rtt_rows = part_rtt(a.rtt_runs, ports[a.delay_ms], ports[a.delay_lo_ms], rtt, rtt_lo)
    if "3" in a.parts and a.callgrind_runs > 0:
        say("3. callgrind, %d runs" % a.callgrind_runs)
        cg = part_callgrind(a.callgrind_runs, a.pf_port)
    if "4" in a.parts:
        say("4. scale, N = %s, %d runs" % (",".join(map(str, ns)), a.scale_runs))
        scale = part_scale(a.scale_runs, many_port, hosts, ns, a.xargs_cap, a.many_pid)
    if "5" in a.parts:
        say("5. exporters, %d probes at concurrency %d, %d runs" % (a.exp_n, a.exp_c, a.exp_runs))
        exp = part_exporters(a, a.pf_port)
    LOAD_END = open("/proc/loadavg").read().split()[:3]
    LOAD_END = " ".join(LOAD_END)
    total = time.monotonic() - t_start

    text = []
    if local is not None:
        text.append("1. Per check against a local Postfix (127.0.0.1), %d runs each: "
                    "median (min..max)" % a.runs)
        text += table(["dialog", "tool", "wall ms", "CPU ms", "peak RSS MiB", "exit"], local)
        text.append("")
    if rtt_rows is not None:
        text.append("2. Round trips through the delay proxy at RTT %g and %g ms, %d runs: "
                "round trips = wall difference / RTT difference" % (rtt * 1e3, rtt_lo * 1e3, a.rtt_runs))
        text += table(["dialog", "tool", "wall ms, RTT %g" % (rtt * 1e3),
                       "wall ms, RTT %g" % (rtt_lo * 1e3), "local ms", "round trips",
                       "minimum", "exit"], rtt_rows)
        text.append("")
    if cg is not None:
        text.append("3. Instructions per check (valgrind --tool=callgrind, whole process), "
                    "%d runs each" % a.callgrind_runs)
        text += table(["dialog", "tool", "million Ir", "ratio", "exit"], cg)
        text.append("")
    elif "3" in a.parts:
        text += ["3. Instructions per check: skipped (valgrind not installed)", ""]
    if scale is not None:
        text.append("4. Scale: N fake servers, banner after %g ms, %d runs each"
                    % (a.banner_delay_ms, a.scale_runs))
        text += table(["N", "how", "wall ms", "CPU ms", "peak RSS MiB", "KiB/target",
                       "servers' CPU ms", "result"], scale)
        text.append("")
    if exp is not None:
        text.append("5. Exporters against the local Postfix: %d probes at concurrency %d per run, "
                    "%d runs" % (a.exp_n, a.exp_c, a.exp_runs))
        text += table(["probe", "exporter", "probes per CPU s", "x blackbox", "probes per s",
                       "peak RSS MiB", "OK"], exp)
        text.append("")
    text.append("whole benchmark: %.0f s" % total)
    print("\n".join(text))

    md = ["# smtp-probe benchmarks", "",
          "Generated by `make bench` (tests/bench/run.sh); do not edit by hand: "
          "run it again. Figures are medians of repeated runs with (min..max); the "
          "tools of each part run interleaved, side by side, in one run.", "",
          "## Results", "", "```"] + text + ["```", "", "## Machine", "", "```"] + \
        machine(a) + ["```", "", "## Method", "", "```",
                      MODEL.format(d=a.delay_ms, rtt=rtt * 1e3, dlo=a.delay_lo_ms,
                                   rttlo=rtt_lo * 1e3).rstrip(), "",
                      METHOD.format(delay=a.banner_delay_ms, pcap=a.xargs_cap,
                                    ncpu=os.cpu_count()).rstrip(),
                      "```", "", "## Commands", "",
                      "Run: `make bench` (this report: %d runs of parts 1 and 2, %d of part 3, "
                      "%d of part 4, %d of part 5; BENCH_QUICK=1 for a quick look; tests/bench/run.sh lists "
                      "the knobs). "
                      "The servers, the delay proxy and the fake servers are started and "
                      "stopped by tests/bench/run.sh." % (a.runs, a.callgrind_runs, a.scale_runs,
                                                          a.exp_runs), ""]
    for title, cmds in COMMANDS:
        md += ["Part " + title + ":", "", "```"] + cmds + ["```", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(md))
    print("bench: wrote %s" % a.out, file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""runmany.py - run commands interleaved, RUNS times each, and print the
median (min..max) of wall time, CPU time and peak RSS of each.

Each command is one argument, LABEL=COMMAND, split as a shell would. Wall time is
measured around spawn and wait, CPU time is the child's own (wait4 rusage),
peak RSS is GNU time's %M of the command; GNU time's own small share is
in the wall and CPU figures of every command alike.
"""
import os
import shlex
import tempfile
import sys
import time


def run(argv):
    # Peak RSS comes from GNU time: a fork of this interpreter would carry
    # the interpreter's own size into the child's ru_maxrss.
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        pid = os.posix_spawnp("/usr/bin/time", ["/usr/bin/time", "-f", "%M", "-o", rss.name] + argv,
                              os.environ, file_actions=[
                                  (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                                  (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        kib = int(rss.read().split()[-1])
    return wall, ru.ru_utime + ru.ru_stime, kib * 1024, os.waitstatus_to_exitcode(status)


def fmt(values, scale, unit):
    v = sorted(values)
    med = v[len(v) // 2]
    return f"{med * scale:.2f} ({v[0] * scale:.2f}..{v[-1] * scale:.2f}) {unit}"


def main():
    runs = int(sys.argv[1])
    cmds = [(label, shlex.split(cmd)) for label, cmd in
            (a.split("=", 1) for a in sys.argv[2:])]
    res = {label: [] for label, _ in cmds}
    for _ in range(runs):
        for label, argv in cmds:
            res[label].append(run(argv))
    print(f"{'check (' + str(runs) + ' runs each, median (min..max))':46} "
          f"{'wall':24} {'CPU':24} {'peak RSS':24} exit")
    for label, _ in cmds:
        r = res[label]
        print(f"{label:46} {fmt([x[0] for x in r], 1000, 'ms'):24} "
              f"{fmt([x[1] for x in r], 1000, 'ms'):24} "
              f"{fmt([x[2] for x in r], 1 / 1048576, 'MiB'):24} "
              f"{sorted(set(x[3] for x in r))}")


if __name__ == "__main__":
    main()

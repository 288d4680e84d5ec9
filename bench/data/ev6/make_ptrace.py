#!/usr/bin/env python3
"""A deterministic N-row HotSpot .ptrace from gcc.ptrace (EV6, 100 rows): row r is gcc's row
r mod 100 scaled by 1 + 0.25 sin(2 pi r / 997), so that no two consecutive rows repeat and the
power drifts slowly over the trace. Usage: make_ptrace.py gcc.ptrace OUT.ptrace N"""
import math
import sys

src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [l.rstrip("\n") for l in open(src) if l.strip()]
head, rows = lines[0], [list(map(float, l.split())) for l in lines[1:]]
with open(dst, "w") as f:
    f.write(head + "\n")
    for r in range(n):
        s = 1 + 0.25 * math.sin(2 * math.pi * r / 997.0)
        f.write("\t".join("%.6g" % (v * s) for v in rows[r % len(rows)]) + "\n")

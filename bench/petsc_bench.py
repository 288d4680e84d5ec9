#!/usr/bin/env python3
"""The PETSc backend against the native solver in the same run (docs/petsc.md, docs/scaling.md).

For each case: a native solve, then PETSc on 1 and 2 MPI ranks (OMP_NUM_THREADS=1 per rank for
PETSc; the native solver uses all cores). Records wall time of the whole command, the solver's
seconds, CPU seconds of the whole command (user + system, all ranks: on a shared machine the
steadier number), iterations, peak memory per rank (PETSc: summary.json's peak_rss_MB_per_rank;
native: the child's maximum resident set), and writes bench/results/petsc.json.
Every rank holds its own part of the grid (about 500 B per unknown of its part) and rank 0 also
the gathered field (8 B per unknown); --ranks 1,2,4 measures how the memory per rank shrinks
(more ranks than cores oversubscribe them: their times mean nothing then, their memory does).

usage: bench/petsc_bench.py BUILD_DIR [--case NAME:DESIGN:NX:NY:NZ ...] [--ranks 1,2] [-o JSON]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT = ["c5:examples/c5_scale.yaml:121:121:121", "c4:examples/c4_stack.yaml:193:193:0"]


def run(cmd, env):
    t0 = time.monotonic()
    u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (u1.ru_utime - u0.ru_utime) + (u1.ru_stime - u0.ru_stime)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return wall, cpu, u1.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--case", action="append")
    ap.add_argument("--ranks", default="1,2", help="PETSc rank counts, comma-separated")
    ap.add_argument("-o", default=os.path.join(HERE, "results", "petsc.json"))
    a = ap.parse_args()
    heatop = os.path.join(a.build, "apps", "heatop", "heatop")
    rows = []
    for spec in a.case or DEFAULT:
        name, design, nx, ny, nz = spec.split(":")
        sets = ["--set", "grid.nx=" + nx, "--set", "grid.ny=" + ny]
        if nz != "0":
            sets += ["--set", "grid.nz=" + nz]
        for ranks in [0] + [int(r) for r in a.ranks.split(",")]:  # 0 = native
            out = tempfile.mkdtemp(prefix="petsc_bench_")
            cmd = [heatop, "solve", os.path.join(ROOT, design), "-o", out] + sets
            env = dict(os.environ)
            if ranks:
                cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks)] + cmd
                cmd += ["--set", "solver.backend=petsc"]
                env["OMP_NUM_THREADS"] = "1"
            else:  # the native run's own peak RSS (RUSAGE_CHILDREN's is a maximum over all runs)
                cmd = ["/usr/bin/time", "-f", "%M", "-o", out + ".rss"] + cmd
            wall, cpu, _ = run(cmd, env)
            s = json.load(open(os.path.join(out, "summary.json")))
            sv = s["solver"]
            row = {"case": name, "grid": [s["grid"]["nx"], s["grid"]["ny"], s["grid"]["nz"]],
                   "unknowns": s["grid"]["nodes"], "backend": sv["backend"],
                   "ranks": ranks or 1, "iterations": sv["iterations"],
                   "rel_residual": sv["rel_residual"], "solver_seconds": sv["seconds"],
                   "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                   "T_max_K": s["T_max_K"]}
            if ranks:
                p = sv["petsc"]
                row.update(setup_seconds=p["setup_seconds"], solve_seconds=p["solve_seconds"],
                           mg_levels=p["mg_levels"], coarse_operators=p.get("coarse_operators"),
                           local_nodes_max=p["local_nodes_max"],
                           peak_rss_MB_per_rank=p["peak_rss_MB_per_rank"])
            else:
                row["peak_rss_MB"] = int(open(out + ".rss").read().split()[-1]) / 1024.0
            mb = row.get("peak_rss_MB") or max(row["peak_rss_MB_per_rank"])
            row["bytes_per_unknown_per_rank"] = round(mb * 2**20 / row["unknowns"])
            # The largest rank's peak over its own part (the whole grid for native and 1 rank).
            local = row.get("local_nodes_max") or row["unknowns"]
            row["bytes_per_local_unknown"] = round(mb * 2**20 / local)
            print(json.dumps(row), flush=True)
            rows.append(row)
            subprocess.run(["rm", "-rf", out, out + ".rss"])
    json.dump({"runs": rows, "machine": os.uname().nodename, "cores": os.cpu_count()},
              open(a.o, "w"), indent=1)
    print("wrote", a.o)


if __name__ == "__main__":
    main()

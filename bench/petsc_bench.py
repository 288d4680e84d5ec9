#!/usr/bin/env python3
"""The PETSc backend against the native solver in the same run (docs/petsc.md, docs/scaling.md).

For each case: a native solve, then PETSc on 1 and 2 MPI ranks (OMP_NUM_THREADS=1 per rank for
PETSc; the native solver uses all cores). Records wall time of the whole command, the solver's
seconds, iterations, peak memory per rank (PETSc: summary.json's peak_rss_MB_per_rank; native:
the child's maximum resident set), and writes bench/results/petsc.json.

usage: bench/petsc_bench.py BUILD_DIR [--case NAME:DESIGN:NX:NY:NZ ...] [-o JSON]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT = ["c5:examples/c5_scale.yaml:201:201:201", "c4:examples/c4_stack.yaml:513:513:0"]


def run(cmd, env):
    t0 = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--case", action="append")
    ap.add_argument("-o", default=os.path.join(HERE, "results", "petsc.json"))
    a = ap.parse_args()
    heatop = os.path.join(a.build, "apps", "heatop", "heatop")
    rows = []
    for spec in a.case or DEFAULT:
        name, design, nx, ny, nz = spec.split(":")
        sets = ["--set", "grid.nx=" + nx, "--set", "grid.ny=" + ny]
        if nz != "0":
            sets += ["--set", "grid.nz=" + nz]
        for ranks in (0, 1, 2):  # 0 = native
            out = tempfile.mkdtemp(prefix="petsc_bench_")
            cmd = [heatop, "solve", os.path.join(ROOT, design), "-o", out] + sets
            env = dict(os.environ)
            if ranks:
                cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks)] + cmd
                cmd += ["--set", "solver.backend=petsc"]
                env["OMP_NUM_THREADS"] = "1"
            wall, rss_after, _ = run(cmd, env)
            s = json.load(open(os.path.join(out, "summary.json")))
            sv = s["solver"]
            row = {"case": name, "grid": [s["grid"]["nx"], s["grid"]["ny"], s["grid"]["nz"]],
                   "unknowns": s["grid"]["nodes"], "backend": sv["backend"],
                   "ranks": ranks or 1, "iterations": sv["iterations"],
                   "rel_residual": sv["rel_residual"], "solver_seconds": sv["seconds"],
                   "wall_seconds": wall, "T_max_K": s["T_max_K"]}
            if ranks:
                p = sv["petsc"]
                row.update(setup_seconds=p["setup_seconds"], solve_seconds=p["solve_seconds"],
                           mg_levels=p["mg_levels"], peak_rss_MB_per_rank=p["peak_rss_MB_per_rank"])
            else:
                row["peak_rss_MB"] = rss_after / 1024.0  # max over children so far (native first)
            print(json.dumps(row), flush=True)
            rows.append(row)
            subprocess.run(["rm", "-rf", out])
    json.dump({"runs": rows, "machine": os.uname().nodename, "cores": os.cpu_count()},
              open(a.o, "w"), indent=1)
    print("wrote", a.o)


if __name__ == "__main__":
    main()

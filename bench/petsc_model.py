#!/usr/bin/env python3
"""The performance model of docs/scaling.md: PETSc backend (heatop's PCMG: x/y coarsening by 2,
Chebyshev(2) on z-line solves, rediscretized (7-point) or Galerkin (27-point) coarse operators as
the runs report, BoomerAMG on a coarse grid that stays larger than 9 x 9 columns), calibrated on
bench/results/petsc.json (1-rank PETSc runs), projected to P ranks for an NX x NY x NZ chip.

Calibrated (measured here): seconds per unknown per CG iteration and per unknown of set-up
(1-rank wall times); bytes per unknown of a rank's own part (the largest non-root rank's peak
RSS over its local nodes in the multi-rank runs; with only 1-rank runs, the 1-rank peak over
all nodes). Rank 0 also holds the x-y planes it writes through (3 planes of nx * ny doubles):
`heatop solve` on several ranks does not gather the field (only --export does: 8 B per unknown
of the whole grid more on rank 0). Assumed (command-line flags, stated in docs/scaling.md): network latency and
per-rank bandwidth, iterations at scale, the BoomerAMG coarse cycle's cost.

usage: bench/petsc_model.py [--json bench/results/petsc.json] [--ranks 64 1024]
       [--grid 16385 16385 50] [--alpha-us 2] [--beta-GBs 1] [--iterations 8]
"""
import argparse, json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))


def levels(n, p):
    """Lateral node counts of the multigrid levels in one direction (src/petsc/backend.cpp's
    multigrid_levels for ratio 2: coarsen while (n-1)/2 + 1 >= 2 p and n > 5)."""
    out = [n]
    while n > 5 and (n - 1) % 2 == 0 and (n - 1) // 2 >= 2 and (n - 1) // 2 + 1 >= 2 * p:
        n = (n - 1) // 2 + 1
        out.append(n)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", default=os.path.join(HERE, "results", "petsc.json"))
    ap.add_argument("--ranks", type=int, nargs="+", default=[64, 1024])
    ap.add_argument("--grid", type=int, nargs=3, default=[16385, 16385, 50])
    ap.add_argument("--alpha-us", type=float, default=2.0, help="assumed latency per message")
    ap.add_argument("--beta-GBs", type=float, default=1.0, help="assumed bandwidth per rank")
    ap.add_argument("--iterations", type=int, default=8, help="assumed CG iterations at scale")
    ap.add_argument("--amg-factor", type=float, default=3.0,
                    help="assumed BoomerAMG cycle cost per coarse unknown, in fine V-cycle "
                         "costs per unknown")
    a = ap.parse_args()
    runs = json.load(open(a.json))["runs"]
    cal = []
    for case in sorted({r["case"] for r in runs}):
        p1 = [r for r in runs if r["case"] == case and r["backend"] == "petsc" and r["ranks"] == 1]
        nat = [r for r in runs if r["case"] == case and r["backend"] == "native"]
        if not p1 or not nat:
            continue
        r, n = p1[0], nat[0]
        N = r["unknowns"]
        # A rank's own part: the largest non-root rank of the run with the most ranks.
        multi = [m for m in runs if m["case"] == case and m["backend"] == "petsc" and m["ranks"] > 1]
        if multi and "local_nodes_max" in multi[-1]:
            m = max(multi, key=lambda m: m["ranks"])
            B_local = max(m["peak_rss_MB_per_rank"][1:]) * 2**20 / m["local_nodes_max"]
        else:
            B_local = r["peak_rss_MB_per_rank"][0] * 2**20 / N
        cal.append({"case": case, "N": N,
                    "t_it": r["solve_seconds"] / r["iterations"] / N,
                    "t_setup": r["setup_seconds"] / N,
                    "share": r["cpu_seconds"] / r["wall_seconds"],  # the core share it got
                    "B_petsc": (r["peak_rss_MB_per_rank"][0] - n["peak_rss_MB"]) * 2**20 / N,
                    "B_heatop": n["peak_rss_MB"] * 2**20 / N, "B_local": B_local,
                    "galerkin": r.get("coarse_operators", "galerkin") == "galerkin"})
    print("calibration (1-rank PETSc runs of %s):" % os.path.relpath(a.json, os.path.dirname(HERE)))
    for c in cal:
        print("  %s N=%d: %.3g us/unknown/iteration, set-up %.3g us/unknown, 1 rank %.0f B/unknown"
              " (native run %.0f), a rank's own part %.0f B/unknown; coarse operators %s; CPU/wall"
              " %.2f" % (c["case"], c["N"], c["t_it"] * 1e6, c["t_setup"] * 1e6,
                         c["B_petsc"] + c["B_heatop"], c["B_heatop"], c["B_local"],
                         "galerkin" if c["galerkin"] else "rediscretized", c["share"]))
    # The slower case (conservative). "loaded": the wall-clock rates as measured on this shared
    # machine; "dedicated": scaled by the share of a core the run got (CPU seconds / wall
    # seconds of the whole command), i.e. assuming the rates of a core of one's own.
    worst = max(cal, key=lambda c: c["t_it"])
    rates = {"loaded": (worst["t_it"], max(c["t_setup"] for c in cal)),
             "dedicated": (worst["t_it"] * worst["share"],
                           max(c["t_setup"] * c["share"] for c in cal))}
    B = max(c["B_local"] for c in cal)
    galerkin = any(c["galerkin"] for c in cal)
    alpha, beta = a.alpha_us * 1e-6, a.beta_GBs * 1e9
    nx, ny, nz = a.grid
    N = nx * ny * nz
    print("\nprojection: %d x %d x %d = %.3g unknowns, %d iterations (assumed), latency %g us, "
          "%g GB/s per rank (assumed)" % (nx, ny, nz, N, a.iterations, a.alpha_us, a.beta_GBs))
    print("| rates | ranks | unknowns/rank | levels | coarse grid | compute s/it | halo MB/it/rank |"
          " halo s/it | allreduce s/it | coarse s/it | solve s | set-up s | GB/rank | rank 0 GB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, (t_it, t_setup)), P in [(kv, P) for kv in rates.items() for P in a.ranks]:
        px = py = int(round(math.sqrt(P)))
        lx, ly = levels(nx, px), levels(ny, py)
        L = min(len(lx), len(ly))
        local = N / P
        compute = t_it * local
        halo_bytes = 0.0
        msgs = 0
        for l in range(L):
            mx, my = lx[l] / px, ly[l] / py
            box = galerkin and l > 0  # Galerkin levels couple diagonal neighbours
            face = 2 * (mx + my) + (4 if box else 0)  # ghost columns sent per exchange
            ex = 5 + (1 if l == 0 else 0) + (2 if l > 0 else 0)  # Chebyshev 2+2, residual, CG
            # (l == 0), restriction + interpolation (l > 0)
            halo_bytes += ex * face * nz * 8
            msgs += ex * (8 if box else 4)
        halo = msgs * alpha + halo_bytes / beta
        allreduce = 3 * alpha * math.log2(P)
        nc = lx[L - 1] * ly[L - 1] * nz
        coarse = a.amg_factor * t_it * nc / P + 15 * 2 * 3 * 10 * alpha  # + 15 AMG levels' msgs
        per_it = compute + halo + allreduce + coarse
        solve = a.iterations * per_it
        setup = t_setup * local + 5 * coarse
        print("| %s | %d | %.3g | %d | %d x %d x %d | %.3g | %.3g | %.2g | %.2g | %.2g | %.3g | %.3g |"
              " %.3g | %.3g |" % (name, P, local, L, lx[L - 1], ly[L - 1], nz, compute,
                                  halo_bytes / 1e6, halo, allreduce, coarse, solve, setup,
                                  B * local / 1e9, (B * local + 24 * nx * ny) / 1e9))


if __name__ == "__main__":
    main()

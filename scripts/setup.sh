#!/usr/bin/env bash
# Installs heatop's build and run dependencies from Debian packages (needs root or sudo).
set -euo pipefail
PKGS=(build-essential cmake pkg-config git
      libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libcairo2-dev libpng-dev libfreetype-dev
      fonts-dejavu-core
      libgtest-dev clang-format python3 python3-numpy python3-scipy libtorch-dev
      # The Python module (python/, docs/python.md) and its tests.
      pybind11-dev python3-pytest
      # The libFuzzer harnesses (fuzz/, scripts/fuzz.sh): clang and its sanitizer runtimes.
      clang libclang-rt-dev
      # The BLAS heatop links (the solved modal operator's products) and an optimised one behind
      # it: Debian's libtorch and heatop link the generic libblas.so.3, which otherwise resolves
      # to the reference BLAS (5x slower training).
      libblas-dev libopenblas0-openmp
      # report.html's browser test (tests/report_browser.py): headless Chromium, PIL for the
      # screenshot check.
      chromium python3-pil
      # The PETSc/MPI backend (docs/petsc.md; CMake turns HEATOP_PETSC on when PETSc is found).
      libpetsc-real3.18-dev libhypre-dev openmpi-bin libopenmpi-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all Debian packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

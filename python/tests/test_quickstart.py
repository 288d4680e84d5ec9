"""examples/python/quickstart.py runs and reports what it should."""

import os
import re
import subprocess
import sys

from conftest import REPO


def test_quickstart_runs():
    env = dict(os.environ)
    p = subprocess.run([sys.executable, str(REPO / "examples" / "python" / "quickstart.py")],
                       cwd=str(REPO), env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    m = re.search(r"peak ([0-9.]+) K", out)
    assert m and 300 < float(m.group(1)) < 400, out
    m = re.search(r"CSR system: (\d+) unknowns, (\d+) nonzeros, relative residual ([0-9.e+-]+)", out)
    assert m, out
    assert float(m.group(3)) < 1e-8
    assert len(re.findall(r"batch map \d: peak [0-9.]+ K", out)) == 3, out
    assert "quickstart: ok" in out

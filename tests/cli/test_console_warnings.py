"""A first run on a tiny file prints no raw Python warnings: numerical trouble in the models is
handled where it arises, and files are closed."""

from __future__ import annotations

import os
import re
import subprocess
import sys

#: Five customers whose best BG/NBD fit has a dropout probability near one (a ≈ 1e9): the
#: closed form overflows there, and the Hessian at the optimum is not positive definite.
TINY = """customer_id,date,amount
A,2024-01-05,10
A,2024-03-06,1000000
B,2024-01-05,0.01
B,2024-06-01,0.02
C,2024-02-01,5
D,2024-02-01,7
D,2024-02-09,9
E,2023-01-01,100
E,2024-06-30,3
"""


def test_a_run_on_five_customers_prints_no_python_warnings(tmp_path):
    (tmp_path / "sales.csv").write_text(TINY, encoding="utf-8")
    env = {**os.environ, "PYTHONWARNINGS": "default,ignore::DeprecationWarning"}
    done = subprocess.run([sys.executable, "-m", "cvm", "run", "sales.csv"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    raw = [line for line in done.stderr.splitlines() if re.search(r"\b\w*Warning: ", line)]
    assert raw == []
    assert "As of 2024-06-30: 5 customers" in done.stdout + done.stderr

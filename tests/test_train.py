"""Does the reference network reach the accuracy the homework promises, trained by the
plain script solutions/backprop/train.py (as `make demo` runs it)?"""

import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPT = ROOT / "solutions" / "backprop" / "train.py"


@pytest.mark.slow
def test_reference_784_196_1_reaches_94_percent_on_5_vs_8(tmp_path):
    plot = tmp_path / "cost.png"
    run = subprocess.run([sys.executable, str(SCRIPT), "--layers", "784-196-1", "--plot", str(plot)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "(1000 training images, 1866 test images" in run.stdout
    accuracy = float(run.stdout.split("test accuracy")[1].split()[0])
    assert accuracy >= 0.94
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

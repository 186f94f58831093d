"""igrag's bottleneck adapters against AdapterHub's ``adapters`` 1.3.0, run in its own venv
(transformers 4.57.6): equal counts and logits within 1e-5 for every config of the script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(os.environ.get("IGRAG_ADAPTERHUB_PYTHON", "/work/adapterhub-venv/bin/python"))


@pytest.mark.skipif(not PYTHON.is_file(), reason=f"no AdapterHub venv at {PYTHON} (adapters 1.3.0, "
                                                 f"transformers 4.57.6; see docs/adapter-tuning.md)")
def test_counts_and_logits_equal_adapterhub():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "adapterhub_crosscheck.py"),
                             "--python", str(PYTHON)], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "all equal: counts and logits within 1e-05 against adapters 1.3.0"
    assert len(lines) == 8 and not any("MISMATCH" in line for line in lines)

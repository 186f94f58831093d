"""The Qt binding must not corrupt CPython's refcounts.

PySide6 6.12.0 on CPython 3.11 decrements the refcount of None on every call of a method that
returns void (QLabel.setText, say); a live plot makes thousands of such calls a second and the
process dies within seconds. This test makes such calls and watches None's refcount, so it fails
on a broken binding whatever its version number.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtWidgets import QLabel, QProgressBar


def test_void_returning_calls_leave_none_refcount_alone(qtbot):
    label, bar = QLabel(), QProgressBar()
    qtbot.addWidget(label)
    qtbot.addWidget(bar)
    calls = 20_000
    before = sys.getrefcount(None)
    for i in range(calls):
        label.setText("loss 0.123")
        bar.setValue(i % 100)
    drift = sys.getrefcount(None) - before
    # A healthy binding drifts by a handful (other objects coming and going); a broken one by
    # one per call, i.e. -2 * calls here.
    assert abs(drift) < calls // 10, f"None's refcount moved by {drift} over {2 * calls} void calls"


def test_installed_binding_is_not_the_known_broken_release():
    assert PySide6.__version__ != "6.12.0" or sys.version_info >= (3, 12), (
        "PySide6 6.12.0 is broken on CPython 3.11; install 6.11.x (see pyproject.toml)")

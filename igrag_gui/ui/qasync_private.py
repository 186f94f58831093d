"""The one place that touches qasync's private state.

Our loop is made with ``already_running=True`` (it rides on whichever Qt loop runs), and qasync
has no public way to mark such a loop stopped: ``loop.stop()`` calls ``app.exit()``, which would
end the next Qt event loop (a test's waits, a dialog's) at once. So closing it sets the flag qasync
set and clears the running loop asyncio was told of. ``tests/ui/test_ops.py`` pins both names; the
dependency's upper bound (``qasync<0.29``) keeps a user from meeting an untested qasync.
"""

from __future__ import annotations

import asyncio
from typing import Any

RUNNING_FLAG = "_QEventLoop__is_running"


def mark_stopped(loop: Any) -> None:
    """Mark an ``already_running`` qasync loop as not running, so it can be closed."""
    if not hasattr(loop, RUNNING_FLAG):
        raise RuntimeError(f"qasync changed: its loop has no {RUNNING_FLAG} (igrag-gui needs an update)")
    setattr(loop, RUNNING_FLAG, False)
    asyncio.events._set_running_loop(None)  # noqa: SLF001 - qasync set it (already_running) and never clears it

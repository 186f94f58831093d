"""The live view of a training run: ``LiveView`` renders a core ``RunHistory`` as a status panel
(``status_panel``), three plots (``chart``) and a log (``log_panel``)."""

from ...core.training.run_history import format_params
from .log_panel import LOG_MAX_LINES
from .view import REDRAW_INTERVAL_MS, LiveView

__all__ = ["LOG_MAX_LINES", "REDRAW_INTERVAL_MS", "LiveView", "format_params"]

"""The Inspect tab, one module per part: ``tab`` (composition, opening, the adapter list, Recent),
``report_card``, ``tensor_tree``, ``heatmap``, ``compare`` and ``drop_zone``."""

from .tab import EXPECTED, InspectTab, remember_recent

__all__ = ["EXPECTED", "InspectTab", "remember_recent"]

"""The Playground tab, a page of small widgets over ``core.playground``:

- ``tab``: ``PlaygroundTab``, the flows (load, attach, remove, generate, batch, merge) and the one
  busy state;
- ``model_panel`` (base model and adapters), ``prompt_panel`` (prompt, IGRAG builder, validation
  examples), ``settings_box`` (generation settings), ``columns`` (outputs side by side);
- ``batch_panel`` and ``batch_scores`` (a data file through every model, COCO metrics),
  ``merge_panel`` (merge, save, verify).
"""

from __future__ import annotations

from .tab import BASE, PlaygroundTab

__all__ = ["BASE", "PlaygroundTab"]

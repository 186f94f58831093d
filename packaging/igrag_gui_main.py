"""PyInstaller's entry script for the igrag-gui bundle (``igrag.spec``).

``igrag_gui.app.main`` calls ``multiprocessing.freeze_support()`` first and replaces a missing
stdout/stderr before anything imports transformers; ``igrag-gui --cli ARGS`` is how the frozen app
runs its own training child (``igrag ARGS``).
"""

import sys

from igrag_gui.app import main

if __name__ == "__main__":
    sys.exit(main())

"""Qt widgets and the workers that run core work off the GUI thread. No torch at import time."""

"""Qt widgets, and ``ops`` that runs core work off the GUI thread for them. No torch at import time."""

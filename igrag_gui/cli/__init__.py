"""The ``igrag`` command line: the core's first client, headless."""

"""Training: the Trainer seams, callbacks, events, RunHistory, checkpoints, the stop line, estimates."""

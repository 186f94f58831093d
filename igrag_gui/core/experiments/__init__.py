"""Experiments: finding and comparing runs, and sweeps over hyperparameters (Optuna).

Qt-free: the CLI (``igrag runs``, ``igrag sweep``) and the window's Runs and Sweep pages use the
same functions.
"""

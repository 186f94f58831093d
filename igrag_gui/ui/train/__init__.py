"""The Train tab: ``TrainTab`` (tab.py) over the config form, with its Data page (data_page.py),
how a run ended (outcome_panel.py) and the command line a config makes (commands.py)."""

from .commands import command_line, find_runs, run_folders
from .tab import TrainTab

__all__ = ["TrainTab", "command_line", "find_runs", "run_folders"]

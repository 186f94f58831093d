"""The Train tab: ``TrainTab`` (tab.py) over the config form, with its Data page (data_page.py)
and how a run ended (outcome_panel.py)."""

from .tab import TrainTab

__all__ = ["TrainTab"]

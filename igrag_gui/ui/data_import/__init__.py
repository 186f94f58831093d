"""The Train tab's Import data dialog (the twin of ``igrag data import``)."""

from .dialog import ImportDialog

__all__ = ["ImportDialog"]

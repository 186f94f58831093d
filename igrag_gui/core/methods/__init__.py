"""PEFT methods: which ones igrag trains (``registry``), their config sections built from the
schema taken from PEFT (``sections``), and the builders that turn a section into a PEFT config
(``builders``). Importing this package does not import PEFT."""

from .builders import build_peft_config
from .registry import METHOD_SPECS, METHODS, MethodSpec

__all__ = ["METHODS", "METHOD_SPECS", "MethodSpec", "build_peft_config"]

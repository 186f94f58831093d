"""Tuning methods: which ones igrag trains (``registry``), their config sections built from the
schema taken from PEFT (``sections``), the builders that turn a section into a PEFT config
(``builders``), and our own bottleneck adapters, which PEFT lacks (``bottleneck_section``,
``bottleneck``). Importing this package does not import PEFT or torch."""

from .builders import build_peft_config
from .registry import METHOD_SPECS, METHODS, PEFT_METHODS, MethodSpec

__all__ = ["METHODS", "METHOD_SPECS", "MethodSpec", "PEFT_METHODS", "build_peft_config"]

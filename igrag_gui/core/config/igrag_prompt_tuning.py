"""IGRAG's ``prompt_tuning/config/prompt_tuning.yaml`` layout, opened unchanged and saved back
with its own spellings and comments.

Their keys map onto ours (``prompt_length`` -> ``prompt_tuning.num_virtual_tokens``,
``train_data_path`` -> ``data.train_path``, ...); their method prefixes the encoder input only,
so a file in this layout defaults to ``num_transformer_submodules: 1``. Paths in their files are
relative to their repository root (the folder above ``prompt_tuning/``). Saving edits the
original text through ruamel.yaml's round trip: only values that changed are rewritten.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..methods.registry import IGRAG_TEXT_INIT

if TYPE_CHECKING:  # pragma: no cover
    from . import RunConfig

# (their section, their key) -> (our section, our key)
KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("model", "model_type"): ("model", "type"),
    ("prompt_tuning", "prompt_length"): ("prompt_tuning", "num_virtual_tokens"),
    ("prompt_tuning", "initialization"): ("prompt_tuning", "prompt_tuning_init"),
    ("data", "train_data_path"): ("data", "train_path"),
    ("data", "val_data_path"): ("data", "val_path"),
    ("training", "per_device_train_batch_size"): ("training", "train_batch_size"),
    ("training", "per_device_eval_batch_size"): ("training", "eval_batch_size"),
    ("training", "learning_rate"): ("prompt_tuning", "learning_rate"),
}
OURS_TO_THEIRS = {ours: theirs for theirs, ours in KEYS.items()}
VALUES: dict[tuple[str, str], dict[Any, Any]] = {
    ("prompt_tuning", "initialization"): {"random": "RANDOM", "text": IGRAG_TEXT_INIT},
}
# Their keys whose meaning igrag already has built in (best/ is always kept, by BLEU, highest
# first; data loads in the main process): understood, kept in the file, not warned about.
UNDERSTOOD = {("prompt_tuning", "enabled"), ("prompt_tuning", "weights_path"),
              ("training", "load_best_model_at_end"), ("training", "metric_for_best_model"),
              ("training", "greater_is_better"), ("training", "dataloader_num_workers")}


def detect(raw: Any) -> bool:
    """Whether a loaded YAML mapping is in IGRAG's prompt-tuning layout."""
    body = raw.get("prompt_tuning") if isinstance(raw, dict) else None
    return isinstance(body, dict) and bool({"prompt_length", "enabled", "initialization"} & set(body))


def repo_root(path: Path) -> Path:
    """Their paths are relative to the repository root: ``<root>/prompt_tuning/config/x.yaml``."""
    folder = path.resolve().parent
    if folder.name == "config" and folder.parent.name == "prompt_tuning":
        return folder.parent.parent
    return folder


class PromptTuningLayout:
    """Remembers the original text and what it meant, to save edits back in its own words."""

    def __init__(self, text: str, source: Path):
        self.text, self.source = text, source
        self.loaded: dict[str, Any] = {}

    def to_ours(self, raw: dict[str, Any]) -> dict[str, Any]:
        ours: dict[str, Any] = {}
        enabled = (raw.get("prompt_tuning") or {}).get("enabled", True)
        ours["method"] = "prompt_tuning" if enabled is not False else "lora"
        for section, body in raw.items():
            if not isinstance(body, dict):
                ours[section] = copy.deepcopy(body)
                continue
            for key, value in body.items():
                if (section, str(key)) in UNDERSTOOD:
                    continue
                to_section, to_key = KEYS.get((section, str(key)), (section, str(key)))
                value = VALUES.get((section, str(key)), {}).get(value, value)
                ours.setdefault(to_section, {})[to_key] = copy.deepcopy(value)
        ours.setdefault("prompt_tuning", {}).setdefault("num_transformer_submodules", 1)
        return ours

    @staticmethod
    def root_for(path: Path) -> Path:
        return repo_root(path)

    def lines(self, ours_lines: dict[str, int]) -> dict[str, int]:
        """Lines of their keys under our names, for ``file:line`` messages."""
        out = dict(ours_lines)
        for (section, key), (to_section, to_key) in KEYS.items():
            if f"{section}.{key}" in ours_lines:
                out[f"{to_section}.{to_key}"] = ours_lines[f"{section}.{key}"]
        return out

    def render(self, cfg: "RunConfig") -> str:
        """The original text with the values that changed since loading written in their words."""
        from .yaml_round_trip import round_trip_yaml

        rt = round_trip_yaml()  # comments, order and quoting kept
        doc = rt.load(self.text)
        now = cfg.to_dict()
        for section, body in now.items():
            if section == "method":
                if body != self.loaded.get("method"):
                    doc.setdefault("prompt_tuning", {})["enabled"] = body == "prompt_tuning"
                continue
            if not isinstance(body, dict):
                continue
            before = self.loaded.get(section) or {}
            for key, value in body.items():
                if key in before and before[key] == value:
                    continue
                if key not in before and section not in self.loaded and value is None:
                    continue
                their_section, their_key = OURS_TO_THEIRS.get((section, key), (section, key))
                back = {v: k for k, v in VALUES.get((their_section, their_key), {}).items()}
                target = doc.setdefault(their_section, {})
                target[their_key] = back.get(value, value)
        out = io.StringIO()
        rt.dump(doc, out)
        return out.getvalue()

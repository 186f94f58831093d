"""Generation settings: one dataclass, its checks, the presets, and what ``generate`` takes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

MAX_NEW_TOKENS_LIMIT = 4096
MAX_BEAMS = 32


@dataclass(frozen=True)
class GenerationSettings:
    """How to decode. Greedy unless ``do_sample``; ``temperature``, ``top_p`` and ``top_k`` only
    matter when sampling. ``seed`` seeds torch before every generation, so the same prompt and seed
    give the same text (and the base model and each adapter see the same random numbers).
    ``min_new_tokens`` (0: none) forbids the end token before that many tokens (benchmarks)."""

    max_new_tokens: int = 40
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 50
    num_beams: int = 1
    repetition_penalty: float = 1.0
    seed: int = 0
    min_new_tokens: int = 0

    def validate(self) -> list[str]:
        """Every problem, one sentence each naming the field; empty when the settings are usable."""
        out: list[str] = []

        def whole(name: str, value: Any, lo: int, hi: int) -> bool:
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{name} must be a whole number, got {value!r}")
                return False
            if not lo <= value <= hi:
                out.append(f"{name} must be between {lo} and {hi:,}, got {value}")
                return False
            return True

        def number(name: str, value: Any) -> bool:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                out.append(f"{name} must be a number, got {value!r}")
                return False
            return True

        whole("max_new_tokens", self.max_new_tokens, 1, MAX_NEW_TOKENS_LIMIT)
        if whole("min_new_tokens", self.min_new_tokens, 0, MAX_NEW_TOKENS_LIMIT) \
                and isinstance(self.max_new_tokens, int) and self.min_new_tokens > self.max_new_tokens:
            out.append(f"min_new_tokens ({self.min_new_tokens}) must not exceed max_new_tokens "
                       f"({self.max_new_tokens})")
        if not isinstance(self.do_sample, bool):
            out.append(f"do_sample must be true or false, got {self.do_sample!r}")
        if number("temperature", self.temperature) and not 0 < self.temperature <= 100:
            out.append(f"temperature must be above 0 (1 leaves the model's distribution as it is; "
                       f"lower is more focused), got {self.temperature}")
        if number("top_p", self.top_p) and not 0 < self.top_p <= 1:
            out.append(f"top_p must be above 0 and at most 1 (1 keeps every token), got {self.top_p}")
        whole("top_k", self.top_k, 0, 1_000_000)
        whole("num_beams", self.num_beams, 1, MAX_BEAMS)
        if number("repetition_penalty", self.repetition_penalty) and not 0 < self.repetition_penalty <= 10:
            out.append(f"repetition_penalty must be above 0 and at most 10 (1 means no penalty), "
                       f"got {self.repetition_penalty}")
        whole("seed", self.seed, 0, 2**32 - 1)
        return out

    @property
    def streams(self) -> bool:
        """Whether text can arrive token by token (transformers cannot stream beam search)."""
        return self.num_beams == 1

    def generate_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for ``model.generate``: only what changes decoding, so that
        greedy settings are exactly what training's evaluation passes."""
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample,
                                  "num_beams": self.num_beams}
        if self.do_sample:
            kwargs.update(temperature=float(self.temperature), top_p=float(self.top_p), top_k=self.top_k)
        if self.repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = float(self.repetition_penalty)
        if self.min_new_tokens:
            kwargs["min_new_tokens"] = self.min_new_tokens
        return kwargs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "GenerationSettings":
        """Known keys only (unknown ones are ignored, so older saved settings still load)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    def with_(self, **changes: Any) -> "GenerationSettings":
        return replace(self, **changes)


PRESETS: dict[str, GenerationSettings] = {
    "Greedy": GenerationSettings(),
    "Beam search (4)": GenerationSettings(num_beams=4),
    "Sampling (creative)": GenerationSettings(do_sample=True, temperature=1.0, top_p=0.95, top_k=0),
    "Sampling (focused)": GenerationSettings(do_sample=True, temperature=0.7, top_p=0.9, top_k=40,
                                             repetition_penalty=1.1),
}

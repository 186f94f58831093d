"""Leakage and quality checks of a run's data (``igrag data check``; training warns from them).

Leakage (the check exits 1, training warns):

* ``same_file``: the validation file is the training file (same path or the same bytes);
* ``val_image_in_train``: a validation row's image (same ``image_id``, or the same image file
  named by ``file_name``/``image``/``image_path``) also has rows in training;
* ``val_row_in_train``: a validation row's prompt and caption are a training row's;
* ``caption_in_prompt``: the prompt holds the row's own caption, ignoring case, punctuation and
  spacing (the model can copy its answer).

Reported, not leakage (exit 0 unless ``strict``):

* ``caption_mostly_in_prompt``: the prompt holds at least ``MOSTLY`` (80%) of the caption's words
  as one contiguous run, but not all of them. A retrieved caption of a similar image often reads
  like that ("a large elephant walking through a grassy field" for "an elephant walking through
  a grassy field"), so it is a hint to look, counted as leakage only under ``--strict``;
* ``duplicate_rows`` (the same prompt and caption again), ``near_duplicate_rows`` (the same
  caption and prompts whose word 3-grams are estimated >= 90% alike, see ``near_dupes``);
* ``empty_caption``, ``empty_prompt``.

Every check is one streamed pass with hashing (sets and dicts of keys, a per-row n-gram test, a
MinHash index), so 200k rows take seconds, not the hours all pairs would.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .near_dupes import NearDupes
from .records import iter_records, to_example

MOSTLY = 0.8  # share of the caption's words, as one contiguous run, that counts as "most of it"
MAX_PROMPT_WORDS = 4096  # the words of a prompt searched for its caption (a prompt is rarely longer)
EXAMPLES = 5  # examples kept per finding
FILE_KEYS = ("file_name", "image", "image_path", "image_file", "file")
LEAKS = ("same_file", "val_image_in_train", "val_row_in_train", "caption_in_prompt")
TITLES = {
    "same_file": "the validation file is the training file",
    "val_image_in_train": "validation rows whose image is also in training (same image_id or file)",
    "val_row_in_train": "validation rows whose prompt and caption are also a training row",
    "caption_in_prompt": "prompts that contain their own caption",
    "caption_mostly_in_prompt": f"prompts that contain most of their caption (>= {MOSTLY:.0%} of its words in a row)",
    "duplicate_rows": "rows repeating an earlier row (same prompt and caption)",
    "near_duplicate_rows": "near-duplicate rows (same caption, prompts >= 90% alike)",
    "empty_caption": "rows with an empty caption",
    "empty_prompt": "rows with an empty prompt",
}
_WORD = re.compile(r"\w+(?:'\w+)*")


def words(text: str) -> list[str]:
    """Lower-case words: case, punctuation (the final period included) and spacing ignored."""
    return _WORD.findall(text.lower())


@dataclass
class Finding:
    kind: str
    count: int = 0
    by_split: dict[str, int] = field(default_factory=dict)  # "train"/"val" -> rows
    examples: list[dict] = field(default_factory=list)

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    def add(self, split: str, **example: Any) -> None:
        self.count += 1
        self.by_split[split] = self.by_split.get(split, 0) + 1
        if len(self.examples) < EXAMPLES:
            self.examples.append({"split": split, **example})


@dataclass
class CheckReport:
    files: dict[str, str]
    rows: dict[str, int]
    findings: dict[str, Finding]
    strict: bool = False
    near_duplicates_checked: bool = True
    comparisons: int = 0  # near-duplicate candidate pairs compared (bounded, see near_dupes)
    capped_buckets: int = 0

    def leaks(self) -> list[Finding]:
        kinds = LEAKS + (("caption_mostly_in_prompt",) if self.strict else ())
        return [f for k, f in self.findings.items() if k in kinds and f.count]

    @property
    def leakage(self) -> bool:
        return bool(self.leaks())

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files, "rows": self.rows, "leakage": self.leakage, "strict": self.strict,
            "findings": {k: {"title": f.title, "leak": k in LEAKS or (self.strict and k == "caption_mostly_in_prompt"),
                             "count": f.count, "by_split": f.by_split, "examples": f.examples} for k, f in self.findings.items()},
            "near_duplicates": {"checked": self.near_duplicates_checked, "comparisons": self.comparisons,
                                "capped_buckets": self.capped_buckets},
        }

    def summary(self) -> str:
        """One line naming each leak with its count, for training's warning."""
        return "; ".join(f"{f.count:,} {f.title}" for f in self.leaks())


def _image_keys(rec: dict) -> Iterator[tuple[str, str]]:
    if rec.get("image_id") is not None:
        yield "image_id", str(rec["image_id"]).strip()
    meta = rec.get("metadata") if isinstance(rec.get("metadata"), dict) else {}
    for key in FILE_KEYS:
        value = rec.get(key, meta.get(key))
        if isinstance(value, str) and value.strip():
            yield "image_file", value.strip().replace("\\", "/").lower()
            return


def caption_overlap(prompt_words: list[str], caption_words: list[str]) -> str | None:
    """"all" when the prompt holds the caption's words in a row, "most" when a run of at least
    ``MOSTLY`` of them, else None. Linear in the prompt: a set of the caption's k-word runs."""
    n = len(caption_words)
    if not n:
        return None
    p = prompt_words[:MAX_PROMPT_WORDS]
    if f" {' '.join(caption_words)} " in f" {' '.join(p)} ":
        return "all"
    k = math.ceil(MOSTLY * n)
    if k >= n or k < 3:  # a caption of 1-4 words: "most" would be all, or too few words to mean much
        return None
    runs = {tuple(caption_words[i:i + k]) for i in range(n - k + 1)}
    first = set(r[0] for r in runs)
    if any(p[i] in first and tuple(p[i:i + k]) in runs for i in range(len(p) - k + 1)):
        return "most"
    return None


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def check_data(train: Path, val: Path | None, prompt_field: str = "prompt", caption_field: str = "caption",
               near_duplicates: bool = True, strict: bool = False) -> CheckReport:
    """Check ``train`` (and ``val``): one pass over each; ``UserError`` on an unreadable file."""
    findings = {k: Finding(k) for k in TITLES}
    files = {"train": str(train)} | ({"val": str(val)} if val else {})
    rows = {"train": 0} | ({"val": 0} if val else {})
    near = NearDupes() if near_duplicates else None
    where: list[tuple[str, str, int]] = []  # row index -> (split, file, line): near-duplicate examples
    train_images: set[tuple[str, str]] = set()
    seen_rows: dict[int, tuple[str, str, int]] = {}  # hash of (prompt, caption) -> first (split, file, line)
    train_rows: set[int] = set()
    same = False
    if val:
        try:
            same = Path(train).resolve() == Path(val).resolve() or (
                Path(train).stat().st_size == Path(val).stat().st_size and _file_digest(train) == _file_digest(val))
        except OSError:
            same = False  # reading the files below says why
    for split, path in (("train", Path(train)), ("val", Path(val) if val else None)):
        if path is None:
            continue
        for line, rec in iter_records(path):
            ex = to_example(path, line, rec, prompt_field, caption_field)
            rows[split] += 1
            at = {"split": split, "file": path.name, "line": line}
            cap, prompt = words(ex.caption), words(ex.prompt)
            if not cap:
                findings["empty_caption"].add(**at)
            if not prompt:
                findings["empty_prompt"].add(**at)
            overlap = caption_overlap(prompt, cap)
            if overlap:
                findings["caption_in_prompt" if overlap == "all" else "caption_mostly_in_prompt"].add(
                    **at, caption=ex.caption)
            keys = list(_image_keys(rec))
            if split == "train":
                train_images.update(keys)
            elif same:
                findings["same_file"].add(**at)
            else:
                shared = next((k for k in keys if k in train_images), None)
                if shared:
                    findings["val_image_in_train"].add(**at, **{shared[0]: shared[1]})
            row_key = hash((ex.prompt.strip(), ex.caption.strip()))
            if split == "train":
                train_rows.add(row_key)
            elif same:
                continue  # the training file's own rows again: reported once, as same_file
            elif row_key in train_rows:
                findings["val_row_in_train"].add(**at, caption=ex.caption)
                continue  # reported as a leak, not again as a duplicate
            first = seen_rows.setdefault(row_key, (split, path.name, line))
            if first != (split, path.name, line):
                findings["duplicate_rows"].add(**at, first=f"{first[1]}:{first[2]}")
                continue  # one copy goes into the near-duplicate index
            if near is not None:
                near.add(prompt, hash(" ".join(cap)))
                where.append((split, path.name, line))
    report = CheckReport(files, rows, findings, strict, near is not None)
    if near is not None:
        groups = near.groups()
        for group in groups:
            first = where[group[0]]
            for i in group[1:]:
                split, name, line = where[i]
                findings["near_duplicate_rows"].add(split, file=name, line=line, like=f"{first[1]}:{first[2]}")
        report.comparisons, report.capped_buckets = near.comparisons, near.capped_buckets
    return report


def format_report(report: CheckReport) -> list[str]:
    """The report as the terminal shows it: rows read, then each finding with its examples."""
    sizes = ", ".join(f"{report.rows[s]:,} {s} rows ({Path(p).name})" for s, p in report.files.items())
    out = [f"checked {sizes}"]
    leaks = {f.kind for f in report.leaks()}
    for f in report.findings.values():
        if f.kind == "near_duplicate_rows" and not report.near_duplicates_checked:
            continue
        mark = "LEAK " if f.kind in leaks else "ok   " if not f.count else "note "
        splits = " (" + ", ".join(f"{n:,} {s}" for s, n in f.by_split.items()) + ")" if len(f.by_split) > 1 else ""
        out.append(f"{mark} {f.count:>7,}  {f.title}{splits}")
        for ex in f.examples:
            rest = ", ".join(f"{k} {v!r}" if isinstance(v, str) else f"{k} {v}" for k, v in ex.items()
                             if k not in ("split", "file", "line"))
            out.append(f"           {ex['file']}:{ex['line']}" + (f"  {rest}" if rest else ""))
    out.append("leakage found: see the LEAK lines (exit code 1)" if report.leakage else "no leakage found")
    return out



def leakage_warning(train: Path, val: Path | None, prompt_field: str = "prompt",
                    caption_field: str = "caption") -> str | None:
    """The one line training warns with when the data leaks (the checks that need no
    near-duplicate index: one pass, no model), naming the command that lists the rows. The
    config is not named: the window trains from a snapshot that is gone after the run, and
    ``--set`` may have replaced the config's data paths."""
    report = check_data(train, val, prompt_field, caption_field, near_duplicates=False)
    if not report.leakage:
        return None
    names = ", ".join(Path(p).name for p in report.files.values())
    return (f"data leakage in {names}: {report.summary()}; the scores may flatter the model; "
            f"'igrag data check CONFIG' lists the rows")

"""Results against references, as ``igrag score`` and IGRAG's evaluator see them.

Matching is counted, never silent: results whose image has no reference caption, results for
images the references do not know, and reference images without a result.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Iterable

from ..errors import UserError
from .coco import Scores, score, worst_first
from .files import read_references, read_results
from .names import LABELS, METRICS


@dataclass
class Evaluation:
    scores: Scores
    results: dict[Hashable, str]
    references: dict[Hashable, list[str]]
    no_reference: int = 0  # results whose image is known but has no reference caption
    unknown: int = 0  # results for images the references do not list
    without_result: int = 0  # reference images with no result (not scored)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``igrag score --json``: pycocoevalcap's metric names and 0-1 scale, then the counts."""
        out: dict[str, Any] = {LABELS[m]: self.scores.overall[m] for m in METRICS if m in self.scores.overall}
        out.update(images=self.scores.images, unavailable={LABELS[m]: r for m, r in self.scores.unavailable.items()},
                   no_reference=self.no_reference, unknown_images=self.unknown,
                   references_without_result=self.without_result, tokenizer=self.scores.tokenizer,
                   warnings=self.warnings)
        return out

    def per_image(self) -> list[dict[str, Any]]:
        """One row per scored image, worst first (by CIDEr where it was computed)."""
        return [{"image_id": i, "caption": self.results[i], "references": self.references[i],
                 **{LABELS[m]: v for m, v in self.scores.per_image[i].items()}}
                for i in worst_first(self.scores)]

    def write_per_image(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(json.dumps(self.per_image(), ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UserError(f"cannot write '{path}': {exc.strerror or exc}; choose a folder you can write to") from None
        return path


def match(results: dict[Hashable, str], references: dict[Hashable, list[str]],
          metrics: Iterable[str] = METRICS, java: bool | None = None, download_spice: bool = False) -> Evaluation:
    """Score the results that have references; count the rest."""
    scorable = {i: c for i, c in results.items() if references.get(i)}
    evaluation = Evaluation(score(scorable, references, metrics, java, download_spice), results, references)
    evaluation.unknown = sum(i not in references for i in results)
    evaluation.no_reference = sum(i in references and not references[i] for i in results)
    evaluation.without_result = sum(bool(refs) and i not in results for i, refs in references.items())
    if evaluation.unknown:
        evaluation.warnings.append(f"{evaluation.unknown} result(s) are for images the references do not "
                                   f"list; they are not scored")
    if evaluation.no_reference:
        evaluation.warnings.append(f"{evaluation.no_reference} result(s) are for images with no reference "
                                   f"caption; they are not scored")
    if evaluation.without_result:
        evaluation.warnings.append(f"{evaluation.without_result} reference image(s) have no result; they are "
                                   f"not scored")
    return evaluation


def evaluate_files(results_path: str | os.PathLike, references_path: str | os.PathLike,
                   metrics: Iterable[str] = METRICS, java: bool | None = None,
                   download_spice: bool = False) -> Evaluation:
    results, references = read_results(results_path), read_references(references_path)
    evaluation = match({i: c[0] for i, c in results.by_image.items()}, references.by_image, metrics, java,
                       download_spice)
    evaluation.warnings[:0] = results.warnings + references.warnings
    if not evaluation.scores.images:
        raise UserError(f"{results_path}: none of its {len(results.by_image)} result(s) is for an image with "
                        f"a reference caption in {references_path}; check that both files use the same image_id values")
    return evaluation

"""COCO caption scores through pycocoevalcap's own scorers (never re-implemented here).

The pipeline is COCOEvalCap's: PTB tokenisation of references and results (two calls, in the
order of the references' images), then Bleu(4), Meteor, Rouge, Cider and Spice on the same
dicts. With Java the tokenizer is pycocoevalcap's ``PTBTokenizer``, so the figures are what
IGRAG's evaluator prints; without it, ``ptb.tokenize_all`` gives the same tokens in Python and
METEOR and SPICE come back as ``None`` with the reason in ``unavailable``.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Iterable, Mapping, Sequence

from .java import NO_JAVA, has_java
from .names import METRICS, NEEDS_JAVA, ordered
from .ptb import tokenize_all

SPICE_DOWNLOAD_TIMEOUT = 20.0  # seconds to reach nlp.stanford.edu before calling SPICE unavailable
# pycocoevalcap's Java files; the app bundle leaves them out (about 100 MB, see igrag.spec)
JAVA_FILES = {"tokenizer": ("tokenizer/stanford-corenlp-3.4.1.jar",),
              "meteor": ("meteor/meteor-1.5.jar", "meteor/data/paraphrase-en.gz"),
              "spice": ("spice/spice-1.0.jar",)}


def java_files_missing(part: str) -> str | None:
    """The first of pycocoevalcap's Java files for ``part`` that is not installed, or None."""
    import pycocoevalcap.bleu.bleu as bleu_module  # pycocoevalcap is a namespace package: find it by a module

    root = Path(bleu_module.__file__).resolve().parents[1]
    for name in JAVA_FILES[part]:
        if not (root / name).is_file():
            return str(root / name)
    return None


def _not_installed(metric: str, path: str) -> str:
    return (f"{metric.upper()} needs pycocoevalcap's Java files, and {path} is not installed (the app bundle "
            f"leaves them out); install igrag-gui with pip to compute it")


@dataclass
class Scores:
    """Corpus scores (``overall``; None where unavailable), per-image scores and why a metric is
    missing. Values are on pycocoevalcap's 0-1 scale (CIDEr can exceed 1)."""

    overall: dict[str, float | None]
    per_image: dict[Hashable, dict[str, float]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    images: int = 0
    tokenizer: str = "python"  # "java": pycocoevalcap's PTBTokenizer; "python": core.metrics.ptb

    def get(self, metric: str) -> float | None:
        return self.overall.get(metric)


def score(results: Mapping[Hashable, str], references: Mapping[Hashable, Sequence[str]],
          metrics: Iterable[str] = METRICS, java: bool | None = None, download_spice: bool = False) -> Scores:
    """Score one caption per image against that image's references.

    Images are taken in ``references`` order and only those that have a result (as COCOEvalCap
    scores ``cocoRes.getImgIds()``); every scored image needs at least one reference.
    ``java``: None finds out; False forces the pure-Python path. ``download_spice``: let
    pycocoevalcap fetch SPICE's CoreNLP jars (about 400 MB) if they are missing; only ``igrag
    score`` asks for that, so that a batch run or a training evaluation never starts a download.
    """
    wanted = ordered(metrics)
    ids = [i for i in references if i in results]
    if any(not references[i] for i in ids):
        raise ValueError("every scored image needs at least one reference caption")
    java = has_java() if java is None else java
    java_tokens = java and java_files_missing("tokenizer") is None
    out = Scores(overall={m: None for m in wanted}, images=len(ids), tokenizer="java" if java_tokens else "python")
    if not ids:
        return out
    gts = {i: [{"caption": c} for c in references[i]] for i in ids}
    res = {i: [{"caption": results[i]}] for i in ids}
    gts_t = res_t = None
    if java_tokens:
        from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

        try:
            with _quiet():
                gts_t, res_t = PTBTokenizer().tokenize(gts), PTBTokenizer().tokenize(res)
        except OSError:  # it writes a temporary file next to its jar: a read-only install cannot
            out.tokenizer = "python"
    if gts_t is None or res_t is None:
        gts_t, res_t = tokenize_all(gts), tokenize_all(res)
    for image in ids:
        out.per_image[image] = {}
    for metric in wanted:
        if metric in NEEDS_JAVA and not java:
            out.unavailable[metric] = f"{metric.upper()} {NO_JAVA}"
        elif metric in NEEDS_JAVA and java_files_missing(metric):
            out.unavailable[metric] = _not_installed(metric, java_files_missing(metric))
    bleu = [m for m in wanted if m.startswith("bleu")]
    if bleu:
        from pycocoevalcap.bleu.bleu import Bleu

        with _quiet():
            totals, per = Bleu(4).compute_score(gts_t, res_t, verbose=0)
        for m in bleu:
            n = int(m[-1]) - 1
            _store(out, m, totals[n], per[n], ids)
    if "meteor" in wanted and "meteor" not in out.unavailable:
        _meteor(out, gts_t, res_t, ids)
    if "rouge_l" in wanted:
        from pycocoevalcap.rouge.rouge import Rouge

        total, per = Rouge().compute_score(gts_t, res_t)
        _store(out, "rouge_l", total, per, ids)
    if "cider" in wanted:
        from pycocoevalcap.cider.cider import Cider

        total, per = Cider().compute_score(gts_t, res_t)
        _store(out, "cider", total, per, ids)
    if "spice" in wanted and "spice" not in out.unavailable:
        _spice(out, gts_t, res_t, ids, download_spice)
    return out


def _store(out: Scores, metric: str, total: Any, per: Sequence[Any], ids: list) -> None:
    out.overall[metric] = float(total)
    for image, value in zip(ids, per):
        out.per_image[image][metric] = float(value)


@contextlib.contextmanager
def _quiet():
    """pycocoevalcap prints progress to stdout and its Java tokenizer a count to stderr; the
    CLI's stdout is for results and its stderr for warnings."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence (a windowed bundle)
        saved = None
    try:
        if saved is not None:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


def _meteor(out: Scores, gts: dict, res: dict, ids: list) -> None:
    from pycocoevalcap.meteor.meteor import Meteor

    try:
        scorer = Meteor()
    except OSError as exc:
        out.unavailable["meteor"] = f"METEOR could not start Java ({exc.strerror or exc})"
        return
    try:
        total, per = scorer.compute_score(gts, res)
    except (OSError, ValueError) as exc:
        err = scorer.meteor_p.stderr.read(2000).decode(errors="replace").strip().splitlines()
        out.unavailable["meteor"] = (f"METEOR's Java process failed ({err[-1] if err else exc}); "
                                     f"it needs about 2 GB of memory")
        return
    finally:
        with contextlib.suppress(Exception):
            scorer.meteor_p.stdin.close()
            scorer.meteor_p.kill()
            scorer.meteor_p.wait()
    _store(out, "meteor", total, per, ids)


def spice_missing(download: bool = True) -> str | None:
    """Why SPICE cannot run here beyond Java (its CoreNLP jars), or None. With ``download``,
    tries pycocoevalcap's own download if the jars are missing."""
    from pycocoevalcap.spice import get_stanford_models as models

    jar = Path(models.SPICEDIR) / models.SPICELIB / f"{models.JAR}.jar"
    if jar.is_file():
        return None
    if not download:
        return (f"SPICE needs the Stanford CoreNLP 3.6.0 jars, which pycocoevalcap downloads on first use, and "
                f"they are not downloaded yet; run 'igrag score RESULTS --references REFS --metrics spice' once "
                f"with internet access (about 400 MB), or put {models.JAR}.jar and {models.JAR}-models.jar into "
                f"{jar.parent}")
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(SPICE_DOWNLOAD_TIMEOUT)
    try:
        with _quiet():
            models.get_stanford_models()
    except Exception as exc:  # noqa: BLE001 - any failure of the download means "not here"
        reason = getattr(exc, "reason", None) or exc
        return (f"SPICE needs the Stanford CoreNLP 3.6.0 jars, which pycocoevalcap downloads on first use "
                f"from nlp.stanford.edu, and the download failed ({reason}); run once with internet access, "
                f"or put {models.JAR}.jar and {models.JAR}-models.jar into {jar.parent}")
    finally:
        socket.setdefaulttimeout(previous)
    return None if jar.is_file() else f"SPICE's CoreNLP jar {jar} is still missing after the download"


def _spice(out: Scores, gts: dict, res: dict, ids: list, download: bool) -> None:
    reason = spice_missing(download)
    if reason:
        out.unavailable["spice"] = reason
        return
    import subprocess

    from pycocoevalcap.spice.spice import Spice

    try:
        with _quiet():
            total, per = Spice().compute_score(gts, res)
    except (OSError, subprocess.CalledProcessError) as exc:
        out.unavailable["spice"] = (f"SPICE's Java process failed ({exc}); it needs about 8 GB of memory "
                                    f"and a writable pycocoevalcap/spice folder")
        return
    values = [float(p["All"]["f"]) for p in per]
    out.overall["spice"] = float(total) if math.isfinite(float(total)) else None
    for image, value in zip(ids, values):
        out.per_image[image]["spice"] = value


def worst_first(scores: Scores, metric: str | None = None) -> list[Hashable]:
    """Image ids ordered worst first by ``metric`` (default: CIDEr, else the first metric there)."""
    if metric is None:
        present = [m for m in ("cider", *METRICS) if scores.overall.get(m) is not None]
        metric = present[0] if present else None
    if metric is None:
        return list(scores.per_image)
    return sorted(scores.per_image, key=lambda i: scores.per_image[i].get(metric, math.inf))


__all__ = ["Scores", "score", "spice_missing", "worst_first"]

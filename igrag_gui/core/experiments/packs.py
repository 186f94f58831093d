"""Run packs: one zip a user can share or upload, and back into a run folder the app lists.

``pack`` writes the adapter (``adapter_config.json``, its weights), ``run.yaml``,
``metrics.jsonl``, the label and a model card ``README.md`` at the zip's top level: the layout of
a PEFT adapter repository on the Hugging Face Hub, so the unzipped folder is what one would
upload. Nothing private goes in: every path of this machine becomes relative to the run, or
the file's bare name (the base model, the data files), ``~`` stands for the home folder, and
token-like secrets are cut; then every member is scanned once more for the home and run paths.

``unpack`` refuses a zip whose names leave the target folder (zip slip: ``..``, absolute names,
drive letters, symbolic links) and never writes over existing files; it extracts into a staging
folder renamed into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ..models.ref import looks_like_local_path
from ..errors import UserError
from .model_card import card_text
from .runs import LABEL_FILE, METRICS_FILE, Run, load_run

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")
PATH_KEYS = ("output_dir", "path", "checkpoint", "best_checkpoint", "resumed_from")
SECRETS = (re.compile(r"\bhf_[A-Za-z0-9]{20,}"), re.compile(r"\b(sk|ghp|gho|github_pat)_[A-Za-z0-9_]{20,}"))
URL_PASSWORD = re.compile(r"(\w+://[^/\s:@]+):[^/\s@]+@")


# ---------------------------------------------------------------------------------- scrubbing
class Scrubber:
    """Rewrites this machine's paths and secrets in the texts a pack holds."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir.resolve()
        home = str(Path.home())
        self.home = home if len(home) > 1 else None

    def path(self, value: str) -> str:
        """A path value: relative to the run when inside it, else its bare name."""
        p = Path(value)
        if not p.is_absolute():
            return value
        try:
            rel = p.resolve().relative_to(self.run_dir)
        except ValueError:
            return p.name
        return rel.as_posix() or "."

    def text(self, value: str) -> str:
        value = value.replace(str(self.run_dir), ".")
        if self.home:
            value = value.replace(self.home, "~")
        for pattern in SECRETS:
            value = pattern.sub("<secret removed>", value)
        return URL_PASSWORD.sub(r"\1:<secret removed>@", value)

    def leaks(self, data: bytes) -> str | None:
        """What private text ``data`` still holds (a bug if ever not None)."""
        for needle in (str(self.run_dir), self.home):
            if needle and needle.encode() in data:
                return needle
        text = data.decode("utf-8", errors="replace")
        return next((m.group(0)[:6] + "..." for p in SECRETS for m in [p.search(text)] if m), None)


def _scrub_event(event: dict[str, Any], s: Scrubber) -> dict[str, Any]:
    out = {}
    for key, value in event.items():
        if isinstance(value, str):
            value = s.path(value) if key in PATH_KEYS else value
            value = s.text(value)
        out[key] = value
    return out


def base_model_name(run: Run) -> tuple[str, bool]:
    """(the base model as a card names it, whether it was a local folder): a Hub id as given, a
    local folder by its name."""
    value = str((run.config.get("model") or {}).get("base_model_path") or "")
    if not value:
        return "unknown", True
    if looks_like_local_path(value, run.path):
        return Path(value.replace("\\", "/")).name or "unknown", True
    return value, False


def _scrub_config(config: dict[str, Any], base: str, s: Scrubber) -> dict[str, Any]:
    config = json.loads(json.dumps(config, default=str))
    model, data, training = (config.setdefault(k, {}) for k in ("model", "data", "training"))
    model["base_model_path"] = base
    for key in ("train_path", "val_path"):
        if data.get(key):
            data[key] = Path(str(data[key]).replace("\\", "/")).name
    training["output_dir"] = "."

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return s.text(s.path(value) if Path(value).is_absolute() else value)
        return value

    return walk(config)


def _adapter_folder(run: Run) -> Path:
    for folder in (run.path, run.path / "best"):
        if (folder / "adapter_config.json").is_file():
            return folder
    raise UserError(f"run '{run.path}' has no adapter (no adapter_config.json in it or in best/): it did not "
                    f"finish; resume it, or pack a finished run")


# ---------------------------------------------------------------------------------- pack
def pack(run_dir: str | Path, out: str | Path, base_model: str | None = None) -> Path:
    """Write the run pack ``out`` (a new file). ``base_model`` names the Hub id a local base
    model stands for (the card and adapter_config.json then name it)."""
    run = load_run(run_dir)
    out = Path(out).expanduser()
    if out.suffix.lower() != ".zip":
        raise UserError(f"--out '{out}': a run pack is a .zip file; give a name ending in .zip")
    if out.exists():
        raise UserError(f"'{out}' already exists; choose another --out (nothing was written)")
    if not out.parent.is_dir():
        raise UserError(f"--out '{out}': folder '{out.parent}' does not exist")
    adapter = _adapter_folder(run)
    s = Scrubber(run.path)
    base, local = (base_model, False) if base_model else base_model_name(run)
    adapter_config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    adapter_config["base_model_name_or_path"] = base
    config = _scrub_config(run.config, base, s)
    events = [_scrub_event(e, s) for e in run.events]
    label = s.text(run.label)
    shown = Run(run.path, config, events, label)
    members: dict[str, bytes] = {
        "README.md": card_text(shown, base, local, adapter_config).encode("utf-8"),
        "adapter_config.json": (json.dumps(adapter_config, indent=2) + "\n").encode("utf-8"),
        "run.yaml": yaml.safe_dump(config, sort_keys=False, allow_unicode=True).encode("utf-8"),
        METRICS_FILE: "".join(json.dumps(e) + "\n" for e in events).encode("utf-8"),
    }
    if label:
        members[LABEL_FILE] = (label + "\n").encode("utf-8")
    weights = [adapter / n for n in ADAPTER_FILES[1:] if (adapter / n).is_file()]
    if not weights:
        raise UserError(f"run '{run.path}': {adapter} has adapter_config.json but no adapter weights "
                        f"(adapter_model.safetensors)")
    for name, data in members.items():
        leak = s.leaks(data)
        if leak:  # the scrubbing above missed a field: never write it
            raise RuntimeError(f"run pack member {name} still holds the private path {leak!r}")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
            for path in weights:  # stored: weights barely compress, and copying is fast
                zf.write(path, path.name, compress_type=zipfile.ZIP_STORED)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write '{out}' ({exc.strerror or exc}); choose a folder you can write to") from None
    return out


# ---------------------------------------------------------------------------------- unpack
def unsafe_member(info: zipfile.ZipInfo) -> bool:
    """A name that would land outside the target folder, or a link (zip slip)."""
    name = info.filename
    if not name or name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return True
    if any(part in ("..", "") for part in PurePosixPath(name.rstrip("/")).parts) or ".." in name.split("/"):
        return True
    return stat.S_ISLNK(info.external_attr >> 16)


def unpack(archive: str | Path, into: str | Path | None = None) -> Path:
    """Restore a run pack as a run folder (``into``, else ``./<zip name>``); returns it."""
    archive = Path(archive).expanduser()
    if not archive.is_file():
        raise UserError(f"run pack '{archive}' does not exist")
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"'{archive}' is not a zip file ({exc}); give a pack written by igrag runs pack") from None
    with zf:
        infos = zf.infolist()
        bad = next((i.filename for i in infos if unsafe_member(i)), None)
        if bad is not None:
            raise UserError(f"'{archive}' holds an unsafe path '{bad}' (it would be written outside the folder "
                            f"it unpacks into); nothing was unpacked")
        names = {i.filename for i in infos if not i.is_dir()}
        if METRICS_FILE not in names:
            raise UserError(f"'{archive}' is not a run pack (it has no {METRICS_FILE} at its top); give a pack "
                            f"written by igrag runs pack")
        target = Path(into).expanduser() if into else Path.cwd() / archive.stem
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise UserError(f"'{target}' already exists and is not empty; unpack --into a new folder "
                            f"(nothing was unpacked)")
        staging = target.parent / f".{target.name}.unpack-{os.getpid()}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
            for info in infos:
                dest = staging / info.filename
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            if target.exists():
                target.rmdir()  # empty: checked above
            os.replace(staging, target)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise UserError(f"cannot unpack into '{target}' ({exc.strerror or exc}); choose a folder you can "
                            f"write to") from None
    load_run(target)  # a run folder the app lists, or the reason it is not
    return target


def pack_members(archive: str | Path) -> dict[str, bytes]:
    """Every member's bytes (for checks and tests)."""
    with zipfile.ZipFile(archive) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


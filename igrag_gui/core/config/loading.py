"""Reading a YAML config file (with ``--set`` overrides) into a ``RunConfig``: fails only when
there is nothing to read; every value problem is left to ``validate``."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Iterable

from ..files.bounded import yaml_load, yaml_parse
from ..errors import UserError
from .field_checks import _describe
from .fields import SECTION_CLASSES, SECTIONS, _alias_map, field_specs
from ..models.ref import looks_like_local_path
from .parse_cache import lookup as cached_parse, store as cache_parse
from .run_config import RunConfig


def _safe_load(text: str, where: str = "the YAML text") -> Any:
    """``yaml.safe_load`` within ``bounded``'s limits, fast when the text is valid; raises the
    Python loader's errors (they name the line and column better)."""
    return _parse_text(text, where)[0]


def _parse_text(text: str, where: str) -> tuple[Any, Any]:
    """(data, root node), parsed once by libyaml; a text it refuses is parsed again by PyYAML's own
    loader for the error's line and column (within the same bounds)."""
    import yaml

    try:
        return yaml_parse(text, where)
    except yaml.YAMLError:
        return yaml_parse(text, where, python=True)


def _key_positions(root: Any) -> list[list[Any]]:
    """``[section, key or None, 1-based line]`` for each top-level key and each key under it,
    from the YAML node tree, as written (a pure function of the text: ``parse_cache`` keeps it)."""
    import yaml

    out: list[list[Any]] = []
    if not isinstance(root, yaml.MappingNode):
        return out
    for key_node, value_node in root.value:
        section = str(key_node.value)
        out.append([section, None, key_node.start_mark.line + 1])
        if isinstance(value_node, yaml.MappingNode):
            out.extend([section, str(k.value), k.start_mark.line + 1] for k, _ in value_node.value)
    return out


def _key_lines(positions: list[list[Any]]) -> dict[str, int]:
    """``section.key`` (canonical names: aliases resolved) to its line, for messages."""
    lines: dict[str, int] = {}
    for section, key, line in positions:
        if key is None:
            lines[section] = line
        else:
            aliases = _alias_map(section) if section in SECTION_CLASSES else {}
            lines[f"{section}.{aliases.get(key, key)}"] = line
    return lines


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``--set section.key=value`` strings; values parse as YAML (``r=8``, ``fp16=true``)."""
    raw = copy.deepcopy(raw)
    for item in overrides:
        if item.split("=", 1)[0].strip() == "method" and "=" in item:
            raw["method"] = item.split("=", 1)[1].strip()
            continue
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise UserError(f"--set {item}: expected section.key=value, e.g. --set lora.r=8")
        dotted, text = item.split("=", 1)
        section, key = dotted.split(".", 1)
        if section not in SECTION_CLASSES:
            raise UserError(f"--set {item}: there is no section '{section}'; sections are "
                            f"{', '.join(SECTION_CLASSES)} (and --set method=NAME)")
        known = {f.name for f in field_specs(section)} | set(_alias_map(section))
        if key not in known:
            raise UserError(f"--set {item}: section '{section}' has no key '{key}'; its keys are "
                            f"{', '.join(f.name for f in field_specs(section))}")
        value = _override_value(text)
        body = raw.get(section)
        if not isinstance(body, dict):
            body = raw[section] = {}
        canonical = _alias_map(section).get(key, key)
        value = _cwd_relative(section, canonical, value)
        for existing in [k for k in body if _alias_map(section).get(str(k), str(k)) == canonical]:
            key = existing  # overwrite whichever spelling the file used
        body[key] = value
    return raw


def _override_value(text: str) -> Any:
    """A ``--set`` value as YAML reads it (``8``, ``true``, ``[q, v]``); text that is not YAML as is."""
    import yaml

    try:
        return yaml_load(text, f"--set value '{text[:40]}'") if text.strip() else ""
    except yaml.YAMLError:
        return text


def _cwd_relative(section: str, name: str, value: Any) -> Any:
    """A path typed on the command line means a path from the current folder, not from the
    config file's: make it absolute before it joins the config."""
    meta = next(f.metadata for f in field_specs(section) if f.name == name)
    if "path" not in meta or not isinstance(value, str) or not value:
        return value
    if meta["path"] == "model" and not looks_like_local_path(value, Path.cwd()):
        return value
    return str((Path.cwd() / Path(value).expanduser()).resolve())


def _parse(path: Path, text: str) -> tuple[Any, list[list[Any]]]:
    """PyYAML's reading of ``text`` and its keys' positions; a syntax error is a ``UserError`` naming
    the line and column."""
    import yaml

    try:
        data, root = _parse_text(text, str(path))  # refused when too large, or when its aliases explode
        return data, _key_positions(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = exc.problem or exc.context or "invalid YAML"
        raise UserError(f"{where}: YAML syntax error: {what}; fix the file (check indentation, "
                        f"colons and quotes)") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: YAML syntax error: {exc}") from None


def load_config(path: str | os.PathLike, overrides: Iterable[str] = ()) -> tuple[RunConfig, list[str]]:
    """Read a YAML config. Returns the config and warnings (unknown keys kept as they are).

    Raises ``UserError`` only when there is nothing to read; value problems are left to
    ``RunConfig.validate`` so that all of them are reported together.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"config file '{path}' does not exist; check the path, or start from "
                        f"configs/lora_config.yaml")
    if path.is_dir():
        raise UserError(f"'{path}' is a folder; give the YAML config file inside it")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not a text file (byte {exc.start} is not UTF-8); a config is "
                        f"a YAML text file") from None
    except OSError as exc:
        raise UserError(f"cannot read config file '{path}': {exc.strerror}") from None
    cached = cached_parse(text)
    if cached is not None:
        raw, positions = cached
    else:
        raw, positions = _parse(path, text)
        cache_parse(text, raw, positions)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(f"{path}: the top level must be a mapping with sections "
                        f"{', '.join(SECTIONS)}, got {_describe(raw)}")
    from . import igrag_prompt_tuning as igrag_pt

    layout = None
    if igrag_pt.detect(raw):
        layout = igrag_pt.PromptTuningLayout(text, path)
        raw = layout.to_ours(raw)
    raw = apply_overrides(raw, overrides)
    cfg = RunConfig.from_dict(raw, source=path)
    cfg.lines = _key_lines(positions)
    cfg.text = text
    if layout is not None:
        cfg.path_root = igrag_pt.repo_root(path)
        cfg.lines = layout.lines(cfg.lines)
        layout.loaded = RunConfig.from_dict(layout.to_ours(_safe_load(text, str(path))), source=path).to_dict()
        cfg.layout = layout
    warnings = [
        f"{cfg.where(f'{s}.{k}' if s else k)}: unknown key '{(s + '.') if s else ''}{k}' is kept "
        f"as it is but not used"
        for s, body in cfg.unknown.items() for k in body
    ]
    return cfg, warnings

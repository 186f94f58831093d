"""Judging a config as the user types: ``validate`` once per edit without the disk, and the disk
checks (files, folders, a checkpoint to resume, an output folder a new run may not take) only
when asked, once the user pauses.

The disk's answer is kept while ``disk_inputs`` is unchanged, so a keystroke in ``lora.r``
stats no file; after an edit to a path, that path's problems wait for the next ``look``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..files.output_folders import fresh_run_refusal, latest_checkpoint
from .disk_checks import disk_inputs, file_problems

if TYPE_CHECKING:
    from .run_config import RunConfig

_NOTHING = object()


class ConfigJudge:
    def __init__(self) -> None:
        self._disk_key: Any = _NOTHING
        self._disk: list[Problem] = []
        self._resumable = False
        self._used: Problem | None = None
        self.without_disk: list[Problem] = []  # the last judgement's problems, disk checks apart
        self.resumable = False  # the last judged config's output folder holds a checkpoint
        # why a new run may not start in the last judged config's output folder (Resume may):
        # one of ``problems()``'s, told apart by identity
        self.used_folder: Problem | None = None

    def judge(self, cfg: "RunConfig", model: Any = None, look: bool = False) -> list["Problem"]:
        """Every problem of ``cfg``: ``validate`` without the disk, plus the disk's last answer
        when it was about the same paths (``look=True`` asks the disk first)."""
        self.without_disk = cfg.validate(model=model, check_files=False)
        if look:
            self.look(cfg)
        return self.problems(cfg)

    def look(self, cfg: "RunConfig") -> None:
        """Ask the disk: the files and folders ``cfg`` names, a checkpoint to resume from, and
        whether a new run may start in the output folder (``output_folders.fresh_run_refusal``)."""
        self._disk_key = disk_inputs(cfg)
        self._disk = file_problems(cfg)
        self._resumable = latest_checkpoint(cfg.output_path) is not None
        used = None if any(p.field == "training.output_dir" for p in self._disk) else \
            fresh_run_refusal(cfg.output_path)
        self._used = Problem("training.output_dir", used) if used else None

    def problems(self, cfg: "RunConfig") -> list["Problem"]:
        """The last judgement with the disk's answer, if that answer was about ``cfg``'s paths."""
        same = disk_inputs(cfg) == self._disk_key
        self.resumable = same and self._resumable
        self.used_folder = self._used if same else None
        return self.without_disk + (self._disk if same else []) + ([self.used_folder] if self.used_folder else [])

    def blocking(self, problems: list["Problem"], resume: bool) -> list["Problem"]:
        """The errors among ``problems`` that stop a new run (all of them) or a resume (all but
        ``used_folder``: resuming is how a run continues in its own folder)."""
        return [p for p in problems if p.severity == "error" and not (resume and p is self.used_folder)]

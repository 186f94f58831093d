"""Judging a config as the user types: ``validate`` once per edit without the disk, and the disk
checks (files, folders, a checkpoint to resume) only when asked, once the user pauses.

The disk's answer is kept while ``disk_inputs`` is unchanged, so a keystroke in ``lora.r``
stats no file; after an edit to a path, that path's problems wait for the next ``look``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .disk_checks import disk_inputs, file_problems

if TYPE_CHECKING:
    from .fields import Problem
    from .run_config import RunConfig

_NOTHING = object()


class ConfigJudge:
    def __init__(self) -> None:
        self._disk_key: Any = _NOTHING
        self._disk: list[Problem] = []
        self._resumable = False
        self.without_disk: list[Problem] = []  # the last judgement's problems, disk checks apart
        self.resumable = False  # the last judged config's output folder holds a checkpoint

    def judge(self, cfg: "RunConfig", model: Any = None, look: bool = False) -> list["Problem"]:
        """Every problem of ``cfg``: ``validate`` without the disk, plus the disk's last answer
        when it was about the same paths (``look=True`` asks the disk first)."""
        self.without_disk = cfg.validate(model=model, check_files=False)
        if look:
            self.look(cfg)
        return self.problems(cfg)

    def look(self, cfg: "RunConfig") -> None:
        """Ask the disk: the files and folders ``cfg`` names, and a checkpoint to resume from."""
        from ..checkpoints import latest_checkpoint

        self._disk_key = disk_inputs(cfg)
        self._disk = file_problems(cfg)
        self._resumable = latest_checkpoint(cfg.output_path) is not None

    def problems(self, cfg: "RunConfig") -> list["Problem"]:
        """The last judgement with the disk's answer, if that answer was about ``cfg``'s paths."""
        same = disk_inputs(cfg) == self._disk_key
        self.resumable = same and self._resumable
        return self.without_disk + (self._disk if same else [])

"""A Hugging Face hub cache laid out as huggingface_hub's downloads leave it."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub.file_download import repo_folder_name


def add_repo(cache: Path, repo_id: str, files: dict[str, str], repo_type: str = "model",
             commit: str = "a" * 40) -> Path:
    """One repo as a download leaves it: content in blobs/, a ref naming the commit, and the
    snapshot's files as relative symlinks to the blobs."""
    repo = cache / repo_folder_name(repo_id=repo_id, repo_type=repo_type)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    (repo / "blobs").mkdir(exist_ok=True)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        blob = repo / "blobs" / f"{abs(hash((repo_id, name))):x}"
        blob.write_text(text)
        (snapshot / name).symlink_to(Path("..", "..", "blobs", blob.name))
    return repo

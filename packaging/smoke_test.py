"""Smoke test of a built bundle: everything a user does, run through the frozen executable, installed
for all users.

    python packaging/smoke_test.py dist/igrag-gui

As root (CI), the bundle is copied to a root-owned folder under ``/opt`` that users cannot write
to, as a system-wide install is, and every check runs as an unprivileged user (``igrag-smoke``,
created with ``useradd`` when missing, removed again) through ``setpriv``, with a fresh home folder
and the install folder as its working folder. Not as root, the checks run as the calling user on
the bundle where it is, and the part that needs a second user is skipped with a printed reason.

Checks, each against the frozen ``igrag-gui`` (no Python from the checkout is used):
``--version``; the CLI the window runs its training child with (``--cli``): params, a 3-step
training of the demo (exactly the child process the Train tab starts), inspect of the adapter it
saved, generate with base and adapter; ``--self-test`` (the config a double-click opens, as
opened: it validates, Start is enabled, its output folder is writable; then that config trained
from the Train tab, Inspect, Playground); ``--screenshot`` rendering every tab (needs a display or
QT_QPA_PLATFORM=offscreen); and last, that nothing inside the install folder was added, removed or
changed (a snapshot of the tree before and after). Prints one line per check with its time; exits
1 on the first failure with the command's output.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMOKE_USER = "igrag-smoke"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every path under ``folder`` with its type, size, mode and modification time."""
    tree = {}
    for path in [folder, *folder.rglob("*")]:
        info = path.lstat()
        tree[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mode,
                                               info.st_mtime_ns)
    return tree


def changes(before: dict, after: dict) -> list[str]:
    return ([f"added {p}" for p in sorted(after.keys() - before.keys())]
            + [f"removed {p}" for p in sorted(before.keys() - after.keys())]
            + [f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]])


def install_read_only(bundle: Path) -> Path:
    """Copy the bundle to a root-owned /opt folder with no write permission for anyone but root."""
    parent = Path(tempfile.mkdtemp(prefix="igrag-gui-smoke-", dir="/opt"))
    target = parent / "igrag-gui"
    shutil.copytree(bundle, target, symlinks=True)
    for path in [parent, target, *target.rglob("*")]:
        if not path.is_symlink():
            os.chown(path, 0, 0)
            os.chmod(path, (path.stat().st_mode & 0o755) | (0o755 if path.is_dir() else 0o644))
    return target


def ensure_user() -> tuple[pwd.struct_passwd, bool]:
    """The unprivileged smoke-test user, and whether this run created it."""
    try:
        return pwd.getpwnam(SMOKE_USER), False
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin",
                        SMOKE_USER], check=True, capture_output=True, text=True)
        return pwd.getpwnam(SMOKE_USER), True


def main() -> int:
    bundle = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/igrag-gui").resolve()
    name = "igrag-gui.exe" if sys.platform == "win32" else "igrag-gui"
    if not (bundle / name).is_file():
        print(f"smoke: no executable at {bundle / name}; build the bundle first (bash scripts/build_bundle.sh)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="igrag-smoke-"))
    home = work / "home"
    home.mkdir()
    as_user: list[str] = []
    created_user, install = False, bundle
    tools = all(shutil.which(t) for t in ("setpriv", "useradd"))
    if hasattr(os, "geteuid") and os.geteuid() == 0 and tools:
        user, created_user = ensure_user()
        install = install_read_only(bundle)
        for path in [work, *work.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
        as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]
        print(f"smoke: installed for all users at {install} (owned by root, not writable by others); "
              f"running as {SMOKE_USER} (uid {user.pw_uid}) with home {home}")
    else:
        why = "not running as root" if not (hasattr(os, "geteuid") and os.geteuid() == 0) else \
            "setpriv or useradd is missing"
        print(f"smoke: SKIPPED the run as an unprivileged user who cannot write to the install folder ({why}: "
              f"it needs root to create that user and a root-owned install); running as this user on {bundle}")
    exe = install / name
    internal = install / "_internal"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "IGRAG_SCREENSHOT_DELAY_MS": "5000", "USER": SMOKE_USER if as_user else
           os.environ.get("USER", ""), "TMPDIR": str(work)}
    demo = internal / "configs" / "demo.yaml"
    run_dir = work / "run"
    before = snapshot(install)

    def check(label: str, args: list[str], expect: str, timeout: int = 600) -> str:
        start = time.monotonic()
        result = subprocess.run([*as_user, str(exe), *args], cwd=install, env=env, capture_output=True,
                                text=True, timeout=timeout)
        seconds = time.monotonic() - start
        output = result.stdout + result.stderr
        if result.returncode != 0 or expect not in output:
            print(f"smoke: FAILED {label} (exit {result.returncode}, {seconds:.1f} s): expected {expect!r} in:\n"
                  f"{output[-4000:]}")
            raise SystemExit(1)
        print(f"smoke: ok {label} ({seconds:.1f} s)")
        return output

    try:
        check("version", ["--version"], "igrag-gui ")
        check("cli params", ["--cli", "params", str(demo)], "237,568")
        check("cli train (the Train tab's child process)",
              ["--cli", "train", str(demo), "--max-steps", "3", "--events", "-",
               "--set", f"training.output_dir={run_dir}", "--set", "training.eval_strategy=no",
               "--set", "training.logging_steps=1"], '"event": "finished"')
        if not (run_dir / "adapter_model.safetensors").is_file():
            print(f"smoke: FAILED cli train: no adapter in {run_dir}")
            return 1
        check("cli inspect", ["--cli", "inspect", str(run_dir)], "LoRA")
        check("cli generate", ["--cli", "generate", "--base", str(internal / "resources" / "demo" / "model"),
                               "--adapter", str(run_dir), "--max-new-tokens", "8", "--side-by-side",
                               "Write one caption for the image."], "tokens/s")
        val = internal / "resources" / "demo" / "data" / "val.jsonl"
        rows = [json.loads(line) for line in val.read_text(encoding="utf-8").splitlines()[:10]]
        results = work / "results.json"
        results.write_text(json.dumps([{"image_id": r["image_id"], "caption": r["caption"]} for r in rows]))
        check("cli score (pycocoevalcap's scorers, our PTB tokenizer; no Java files in the bundle)",
              ["--cli", "score", str(results), "--references", str(val), "--json",
               "--metrics", "bleu4,rouge_l,cider,meteor"], '"images": 10')
        output = check("self-test through the window (the config a double-click opens, trained from the Train "
                       "tab via the frozen child, Inspect, Playground)",
                       ["--self-test"], "self-test: all checks passed", timeout=900)
        for line in output.splitlines():
            if line.startswith("self-test:"):
                print(f"  {line}")
        check("screenshot", ["--screenshot", str(work / "shots")], "train.png", timeout=300)
        shots = sorted(p.name for p in (work / "shots").glob("*.png"))
        if shots != ["inspect.png", "playground.png", "train.png"]:
            print(f"smoke: FAILED screenshot: {shots}")
            return 1
        written = changes(before, snapshot(install))
        if written:
            print(f"smoke: FAILED nothing written inside the install folder {install}: {len(written)} change(s):\n  "
                  + "\n  ".join(written[:40]))
            return 1
        print(f"smoke: ok nothing written inside the install folder ({len(before)} paths unchanged)")
        print(f"smoke: all checks passed ({bundle})")
        shutil.rmtree(work, ignore_errors=True)  # kept after a failure, to look into
        return 0
    finally:
        if install != bundle:
            shutil.rmtree(install.parent, ignore_errors=True)
        if created_user:
            subprocess.run(["userdel", SMOKE_USER], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())

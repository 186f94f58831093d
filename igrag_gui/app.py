"""``igrag-gui``: the desktop entry point.

Order matters here: ``freeze_support`` first (a frozen training child must not open a second
window), a console-less stdout/stderr replaced before anything imports transformers, and the
window painted before torch is imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import argparse


def _ensure_streams() -> None:
    """A windowed (console=False) build has ``sys.stdout`` None; libraries that print crash."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def has_display() -> bool:
    """Whether Qt can open a window here (an explicit QT_QPA_PLATFORM counts as yes)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from . import __version__

    parser = argparse.ArgumentParser(prog="igrag-gui", description="Desktop app for LoRA fine-tuning "
                                     "with PEFT. Opens the demo config when no PATH is given.")
    parser.add_argument("path", nargs="?", help="a YAML run config to open in the Train tab, or an adapter "
                        "(folder, adapter_config.json or adapter_model.safetensors) to open in Inspect")
    parser.add_argument("--screenshot", metavar="DIR",
                        help="render every tab to DIR/<tab>.png once the window is ready, then exit")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation through its window: the config it opens (PATH, or "
                             "the one a double-click opens) validates and its output folder is writable; "
                             "train it for 3 steps from the Train tab (into its output folder), inspect "
                             "the adapter, generate with it; exit 0 when all pass")
    parser.add_argument("--color-scheme", choices=("system", "light", "dark"), default="system",
                        help="follow the system's light/dark scheme (default) or force one")
    parser.add_argument("--version", action="version", version=f"igrag-gui {__version__}")
    parser.set_defaults(**DEFAULTS)
    return parser


DEFAULTS = {"path": None, "screenshot": None, "self_test": False, "color_scheme": "system"}


def no_arguments() -> argparse.Namespace:
    """What ``build_parser().parse_args([])`` gives, without building the parser."""
    import types

    return types.SimpleNamespace(**DEFAULTS)  # type: ignore[return-value]


def installed_copy_note(config: Path, output: Path) -> str:
    """What the status bar says when an installed (read-only) app opens the user's demo copy."""
    from .resources import demo_config_path

    if config == demo_config_path():
        return (f"Opened the installed demo config {config}; this installation is read-only and "
                f"your data folder could not be created: choose an output folder you can write to")
    return f"Opened your copy of the demo config: {config}; its runs go to {output}"


def open_window(path: str | None = None, color_scheme: str = "system", confirm_close: bool = True):
    """Create the application and show the main window; returns ``(app, window)``.

    ``confirm_close=False``: the window drops unsaved edits without a dialog (benchmarks).

    Nothing here imports torch: the window paints first (``benchmarks/startup.py`` checks it).
    """
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from .resources import is_source_checkout, resource_path, startup_config_path
    from .ui.error_dialog import install_excepthook
    from .ui.main_window import MainWindow
    from .ui.theme import apply_color_scheme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("igrag-gui")
    app.setOrganizationName("IGRAG")
    app.setDesktopFileName("igrag-gui")
    app.setWindowIcon(QIcon(str(resource_path("icon.svg"))))
    apply_color_scheme(app, color_scheme)
    from .core.adapters.files import looks_like_adapter

    given = Path(path) if path else None
    adapter = given is not None and looks_like_adapter(given)
    startup = startup_config_path() if given is None or adapter else given
    window = MainWindow(startup, confirm_close=confirm_close)
    if startup != given and not is_source_checkout():
        window.statusBar().showMessage(installed_copy_note(startup, window.train_tab.config().output_path))
    install_excepthook(lambda: window)
    from .ui.workers import after_first_paint

    # qasync's asyncio loop, riding on app.exec(), runs the UI's flows. Installed after the first
    # frame (asyncio costs ~25 ms to import); a flow started before then installs it itself.
    after_first_paint(window, _install_event_loop)
    if adapter:
        window.inspect([given])
    window.show()
    return app, window


def _install_event_loop() -> None:
    from PySide6.QtWidgets import QApplication

    from .ui import ops
    from .ui.gc_on_gui_thread import collect_on_gui_thread

    ops.install_event_loop()
    collect_on_gui_thread(QApplication.instance())  # before any worker runs: collections stay on this thread


def main(argv: Sequence[str] | None = None) -> int:
    if getattr(sys, "frozen", False):  # a no-op otherwise; importing multiprocessing costs 15 ms
        import multiprocessing

        multiprocessing.freeze_support()
    _ensure_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["--cli"]:  # the CLI's main sets it itself
        from .core.training.allocator import keep_freed_memory

        keep_freed_memory()  # at process entry, before any tensor (the Playground generates in this process)
    if argv[:1] == ["--cli"]:  # the frozen app runs its training child through itself
        from .cli.main import main as cli_main

        return cli_main(argv[1:])
    # A double-click passes no arguments: argparse's first use (gettext looking for translations)
    # would cost the first frame 3 ms for nothing.
    args = build_parser().parse_args(argv) if argv else no_arguments()
    if not has_display():
        print("igrag-gui: no display found ($DISPLAY and $WAYLAND_DISPLAY are unset), so the window "
              "cannot open; train headless instead with: igrag train configs/demo.yaml",
              file=sys.stderr)
        return 2
    if args.self_test:
        reason = _self_test_preflight(args.path)
        if reason:
            print(f"self-test: FAILED the config as opened: {reason}", flush=True)
            return 2
    app, window = open_window(args.path, args.color_scheme)
    from PySide6.QtCore import QTimer

    from .ui.main_window import render_screenshots

    if args.self_test:
        from .ui.self_test import run_self_test

        result: list[int] = []
        QTimer.singleShot(0, lambda: (result.append(run_self_test(window)), window.close(), app.quit()))
        app.exec()
        _finish_background_work()
        return result[0] if result else 1
    if args.screenshot:
        def shoot() -> None:

            from .ui import ops

            for _ in range(3):  # work done, then the flows that awaited it resume (and may run more)
                ops.wait_idle(30)
                app.processEvents()
            for path in render_screenshots(window, Path(args.screenshot)):
                print(path)
            window.close()
            app.quit()
        # give the background readers (model, counts, data preview) time to fill the tab
        QTimer.singleShot(int(os.environ.get("IGRAG_SCREENSHOT_DELAY_MS", "8000")), shoot)
    code = app.exec()
    _finish_background_work()
    return code


def _self_test_preflight(path: str | None) -> str:
    """Why the self-test cannot start on ``path`` (or the double-click config), before any window:
    no dialog may wait for a person."""
    from .resources import startup_config_path
    from .ui.self_test import preflight

    try:
        return preflight(Path(path) if path else startup_config_path())
    except Exception as exc:  # noqa: BLE001 - reported as the failed check, with the log's path
        from .core.logs import log_exception

        return f"internal error: {type(exc).__name__}: {exc} (details in {log_exception(exc, context='self-test')})"


def _finish_background_work() -> None:
    """Let background readers finish before exit: cancel the UI's flows, wait for their work."""
    from .ui import ops

    ops.shutdown_event_loop(30)


if __name__ == "__main__":
    sys.exit(main())

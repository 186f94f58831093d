"""Status colours that stay readable on light and dark palettes.

Qt follows the system's light or dark scheme by itself; only the colours we choose need to know
which one is showing. Dark red on a dark grey is unreadable, so each status has two shades.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

_SHADES = {  # status: (on a light background, on a dark background)
    "error": ("#c62828", "#ff7b72"),
    "warning": ("#b26a00", "#e3b341"),
    "ok": ("#2e7d32", "#56d364"),
}


def is_dark(widget: QWidget | None = None) -> bool:
    """Whether the palette in use draws light text on a dark base.

    The window's palette decides: a widget with its own style sheet keeps a stale palette.
    """
    palette = widget.window().palette() if widget is not None else QApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def status_color(kind: str, widget: QWidget | None = None) -> QColor:
    """The shade of ``kind`` ("error", "warning", "ok") for the palette ``widget`` shows."""
    light, dark = _SHADES[kind]
    return QColor(dark if is_dark(widget) else light)


def status_hex(kind: str, widget: QWidget | None = None) -> str:
    return status_color(kind, widget).name()


def _dark_palette() -> QPalette:
    """A Fusion dark palette, for platforms that cannot switch their own (offscreen, old X11)."""
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, color in {
        roles.Window: "#2b2d30", roles.WindowText: "#dfe1e5", roles.Base: "#1e1f22",
        roles.AlternateBase: "#26282b", roles.ToolTipBase: "#3c3f41", roles.ToolTipText: "#dfe1e5",
        roles.Text: "#dfe1e5", roles.Button: "#393b40", roles.ButtonText: "#dfe1e5",
        roles.BrightText: "#ff6b6b", roles.Highlight: "#2f65ca", roles.HighlightedText: "#ffffff",
        roles.Link: "#6ea8fe", roles.PlaceholderText: "#8c8f94", roles.Light: "#4a4d52",
        roles.Midlight: "#3c3f44", roles.Mid: "#313337", roles.Dark: "#1b1c1f", roles.Shadow: "#101012",
    }.items():
        pal.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        pal.setColor(disabled, role, QColor("#6f737a"))
    return pal


def apply_color_scheme(app: QApplication, scheme: str) -> None:
    """``system`` leaves Qt's choice alone; ``light``/``dark`` ask the platform, and if it
    cannot switch (its palette stays the other way), set a Fusion palette ourselves."""
    if scheme == "system":
        return
    from PySide6.QtCore import Qt

    want_dark = scheme == "dark"
    app.styleHints().setColorScheme(Qt.ColorScheme.Dark if want_dark else Qt.ColorScheme.Light)
    if is_dark() != want_dark:
        app.setStyle("Fusion")
        app.setPalette(_dark_palette() if want_dark else app.style().standardPalette())

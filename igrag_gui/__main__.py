"""``python -m igrag_gui`` runs the CLI (``igrag``)."""

from .cli.main import run

if __name__ == "__main__":
    run()

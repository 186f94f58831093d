"""A run and its Resume in one RunHistory: the evaluations before the checkpoint stay, those after
it are replaced by the resumed process's, and the loss curve continues (what the chart draws)."""

from __future__ import annotations

from pathlib import Path

from igrag_gui.core.training.events import CheckpointSaved, Evaluated, Finished, Logged, Preparing, Started
from igrag_gui.core.training.run_history import RunHistory


def started(**overrides) -> Started:
    values = dict(trainable=28_672, total=1_324_800, percent=2.16, max_steps=30, num_train_examples=1000,
                  num_val_examples=100, effective_batch_size=8, output_dir="/runs/demo")
    return Started(**{**values, **overrides})


def logged(step: int) -> Logged:
    return Logged(step=step, max_steps=30, epoch=step / 125, loss=3.0 - step / 20, learning_rate=1e-3)


def evaluated(step: int, part: str) -> Evaluated:
    # the resumed process scores its evaluations a little differently: which stretch a point is from shows
    bump = 0.0 if part == "first" else 0.5
    return Evaluated(step=step, epoch=step / 125, eval_loss=2.0 - step / 40 + bump,
                     scores={"bleu4": step / 100 + bump, "cider": step / 10 + bump}, best=True, best_metric="bleu4")


def stretch(steps: range, part: str, every: int = 5) -> list:
    out: list = []
    for step in steps:
        out.append(logged(step))
        if step % every == 0:
            out.append(evaluated(step, part))
    return out


def run_then_resume(stop_at: int, checkpoint: int) -> tuple[list, list]:
    folder = f"/runs/demo/checkpoint-{checkpoint}"
    first = [Preparing(file="train.jsonl", phase="cached", done=1000), started()]
    first += stretch(range(1, stop_at + 1), "first")
    first += [CheckpointSaved(step=checkpoint, path=folder),
              Finished(step=stop_at, output_dir="/runs/demo", stopped=True, checkpoint=folder)]
    resumed = [Preparing(file="train.jsonl", phase="cached", done=1000),
               started(start_step=checkpoint, resumed_from=f"/runs/demo/checkpoint-{checkpoint}")]
    return first, resumed + stretch(range(checkpoint + 1, 31), "resumed")


def test_a_stopped_run_and_its_resume_keep_both_stretches_evaluations():
    first, resumed = run_then_resume(stop_at=19, checkpoint=19)
    history = RunHistory()
    for event in first + resumed:
        history.apply(event)
    assert history.evals.col(0).tolist() == [5, 10, 15, 20, 25, 30]
    x, y = history.metric("bleu4")
    assert x.tolist() == [5, 10, 15, 20, 25, 30]
    assert y.tolist() == [0.05, 0.1, 0.15, 0.7, 0.75, 0.8]  # the first stretch's scores, then the resumed one's
    assert history.metric("cider")[0].tolist() == [5, 10, 15, 20, 25, 30]
    assert history.steps() == list(range(1, 31))
    assert history.best == (30.0, 0.8)


def test_a_resume_from_an_earlier_checkpoint_replaces_only_what_came_after_it():
    first, resumed = run_then_resume(stop_at=17, checkpoint=10)
    history = RunHistory()
    for event in first + resumed:
        history.apply(event)
    x, y = history.metric("bleu4")
    assert x.tolist() == [5, 10, 15, 20, 25, 30]
    assert y.tolist()[:2] == [0.05, 0.1] and y.tolist()[2] == 0.65  # 15 is the resumed process's
    assert history.steps() == list(range(1, 31))


def test_the_resume_path_of_the_train_tab_keeps_the_first_stretch(tmp_path: Path):
    """Resume reads the run's metrics.jsonl into a fresh history, then the resumed process's events
    (the engine trims metrics.jsonl back to the checkpoint only after that read)."""
    first, resumed = run_then_resume(stop_at=19, checkpoint=19)
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(e.to_json() + "\n" for e in first if not isinstance(e, Preparing)), encoding="utf-8")
    history, _log = RunHistory.load(path)
    assert history.evals.col(0).tolist() == [5, 10, 15]
    for event in resumed:
        history.apply(event)
    assert history.evals.col(0).tolist() == [5, 10, 15, 20, 25, 30]
    assert history.metric("bleu4")[1].tolist()[:3] == [0.05, 0.1, 0.15]
    assert history.steps() == list(range(1, 31))
    # and the file as it stands after the resumed run (its own lines appended) reads the same
    path.write_text(path.read_text() + "".join(e.to_json() + "\n" for e in resumed if not isinstance(e, Preparing)))
    again, _log = RunHistory.load(path)
    assert again.evals.col(0).tolist() == [5, 10, 15, 20, 25, 30]
    assert again.steps() == list(range(1, 31))

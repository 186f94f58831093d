"""Events survive a trip through JSON (the GUI reads them from a child process's pipe)."""

from __future__ import annotations

import json
import math

from igrag_gui.core.training.events import (EVENT_TYPES, CheckpointSaved, Evaluated, Failed, Finished, Logged, Message,
                                   Preparing, Progress, Started, event_from_json)


def test_every_event_round_trips_through_json():
    samples = [
        Started(trainable=10, total=100, percent=10.0, max_steps=5, num_train_examples=3, num_val_examples=1,
                effective_batch_size=2),
        Logged(step=1, max_steps=5, epoch=0.2, loss=1.5, learning_rate=1e-4, grad_norm=0.3),
        Progress(step=1, max_steps=5, epoch=0.2, elapsed=0.5, eta=2.0),
        Evaluated(step=5, epoch=1.0, eval_loss=1.2, scores={"bleu4": 0.125, "cider": 0.9}, best=True,
                  best_metric="bleu4"),
        CheckpointSaved(step=5, path="/x/checkpoint-5"),
        Message(level="warning", text="careful"),
        Finished(step=5, output_dir="/x", best_score=0.125, best_metric="bleu4"),
        Failed(message="NaN at step 3", step=3),
        Preparing(file="train.jsonl", phase="tokenizing", done=2000, total=200000, rate=12345.6, elapsed=0.2),
    ]
    assert {type(e) for e in samples} == set(EVENT_TYPES.values())
    for event in samples:
        assert event_from_json(event.to_json()) == event


def test_nan_loss_survives_json():
    back = event_from_json(Logged(step=1, max_steps=2, epoch=0.5, loss=float("nan"), learning_rate=1.0).to_json())
    assert math.isnan(back.loss)


def test_preparing_is_described_once_for_every_phase():
    def said(phase, **kw):
        return Preparing(file="train.jsonl", phase=phase, **kw).describe()

    assert said("reading") == "reading train.jsonl"
    assert said("reading", done=95_000_000, total=189_000_000) == "reading train.jsonl: 95 of 189 MB"
    assert said("tokenizing", done=40_000, total=200_000, rate=12_345.6) == \
        "tokenizing train.jsonl: 40,000 of 200,000 rows (12,346 rows/s)"
    assert said("waiting") == "waiting for rank 0 to prepare train.jsonl"
    assert said("cached", done=200_000) == "train.jsonl: 200,000 rows, tokenized, from the cache"
    assert said("done", done=1_000, elapsed=0.61) == "train.jsonl: 1,000 rows tokenized in 0.6 s"


def test_eval_events_use_the_metric_naming_contract_in_json():
    """Flat ``eval_<metric>`` keys (what metrics.jsonl, the GUI and other tools read)."""
    event = Evaluated(step=5, epoch=1.0, eval_loss=1.2, scores={"bleu4": 0.31, "cider": 0.92}, best=True,
                      best_metric="bleu4")
    data = json.loads(event.to_json())
    assert data == {"event": "eval", "step": 5, "epoch": 1.0, "eval_loss": 1.2, "eval_bleu4": 0.31,
                    "eval_cider": 0.92, "best": True, "best_metric": "bleu4"}
    assert event.best_value == 0.31


def test_an_old_runs_eval_bleu_reads_as_bleu4_on_the_0_1_scale():
    old = '{"event": "eval", "step": 5, "epoch": 1.0, "eval_loss": 1.25, "eval_bleu": 31.5, "best": true}'
    event = event_from_json(old)
    assert event.scores == {"bleu4": 0.315} and event.best_metric == "bleu4" and event.best_value == 0.315
    finished = event_from_json('{"event": "finished", "step": 5, "output_dir": "/x", "best_bleu": 31.5}')
    assert (finished.best_score, finished.best_metric) == (0.315, "bleu4")

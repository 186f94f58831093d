#!/usr/bin/env python
"""Train the embedded demo model (``resources/demo/model/``): a tokenizer and a tiny FLAN-T5-style T5.

Why: the app's demo must fine-tune a LoRA adapter offline, on a laptop CPU, in about a minute, and
show a real improvement. Real FLAN-T5 checkpoints are far too big to ship and need a download, so
we make a miniature one from the demo corpus itself:

1. a T5-style SentencePiece-like tokenizer (Unigram over ``▁``-prefixed words, ``<pad>``=0,
   ``</s>``=1, ``<unk>``=2, ``<extra_id_N>`` sentinels at the end of the vocabulary), trained with
   the ``tokenizers`` library and saved as a ``T5Tokenizer`` folder;
2. a ``T5ForConditionalGeneration`` with FLAN-T5's layout (gated-GELU feed-forward, so the Linear
   modules are ``q, k, v, o, wi_0, wi_1, wo``), pretrained from scratch with *generic* objectives
   over the training split's text: T5 span corruption (prompts and captions), BART-style
   denoising of captions, rebuilding a caption from its shuffled words, and continuing a caption
   from its first words.

The model never sees the prompt -> caption task, so the base model cannot caption; it only learns
to read this kind of text and to write fluent COCO-style sentences. A LoRA adapter then teaches it
the task quickly. Everything is seeded and runs on 2 CPU threads in a few minutes.

Usage::

    python tools/train_demo_model.py [--data DIR] [--out DIR] [--seed N] [--steps N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import string
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT / "resources" / "demo" / "data"
DEFAULT_OUT = REPO_ROOT / "resources" / "demo" / "model"
DEFAULT_SEED = 1234

N_SENTINELS = 32  # <extra_id_0> ... <extra_id_31>; a prompt never needs more than ~10 spans
MAX_SOURCE_TOKENS = 192
MAX_TARGET_TOKENS = 64

# Model size: small enough to ship (~5 MB float32) and to train on two CPU cores.
MODEL_SIZE = dict(
    d_model=128,
    d_kv=32,
    num_heads=4,
    d_ff=384,
    num_layers=3,
    num_decoder_layers=2,
    relative_attention_num_buckets=32,
    relative_attention_max_distance=128,
    feed_forward_proj="gated-gelu",
)
# Pretraining runs without dropout: the model underfits its budget, dropout would only slow it.
# The saved config has FLAN-T5's 0.1, which fine-tuning then uses.
PRETRAIN_DROPOUT = 0.0
SHIPPED_DROPOUT = 0.1


@dataclass
class TrainSettings:
    steps: int = 1800
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 150
    weight_decay: float = 0.01
    log_every: int = 100


# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def normalise_caption(text: str) -> str:
    """Retrieved captions are sloppy (casing, missing period); write them the COCO reference way."""
    text = " ".join(text.split())
    text = text[0].lower() + text[1:] if text else text
    return text if text.endswith(".") else text + "."


def corpus_texts(rows: list[dict]) -> tuple[list[str], list[str]]:
    """The prompts and the (deduplicated, normalised) captions of a split: the pretraining text."""
    prompts = [r["prompt"] for r in rows]
    captions: list[str] = []
    seen: set[str] = set()
    for r in rows:
        for text in [r["caption"]] + [n["caption"] for n in r["metadata"].get("retrieved", [])]:
            text = normalise_caption(text)
            if text not in seen:
                seen.add(text)
                captions.append(text)
    return prompts, captions


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------


def _pretokenize(text: str) -> list[str]:
    """Split like SentencePiece sees text: ``▁word`` per whitespace word, punctuation apart.

    ``"(left),"`` -> ``["▁(", "left", ")", ","]``. Splitting the punctuation off keeps it out of the
    word pieces ("beach." would otherwise become its own token, unrelated to "beach").
    """
    out = []
    for word in text.split():
        parts = re.findall(r"\w+|[^\w\s]", word)
        out.append("▁" + parts[0])
        out.extend(parts[1:])
    return out


def _canonical_order(pieces: list) -> list[tuple[str, float]]:
    """Make the trained vocabulary byte-reproducible.

    The trainer lists pieces of equal score in a different order on every run, its parallel EM
    leaves ~1e-16 noise in the scores, and the characters it keeps only for coverage get scores
    ``p, p - 1e-4, p - 2e-4, ...`` handed out in hash-set order. Give those characters one shared
    score, round the rest, and sort by score then piece, so the ids are the same on every run.
    """
    scores = {p: float(s) for p, s in pieces}
    chars = sorted((s, p) for p, s in scores.items() if len(p) == 1)
    coverage_only = [chars[0][1]]  # walk up the 1e-4 ladder from the lowest-scored character
    for (low, _), (high, piece) in zip(chars, chars[1:]):
        if abs(high - low - 1e-4) > 1e-7:
            break
        coverage_only.append(piece)
    shared = round(scores[coverage_only[-1]], 6)
    canonical = {p: round(s, 10) for p, s in scores.items()}
    canonical.update({p: shared for p in coverage_only})
    return sorted(canonical.items(), key=lambda ps: (-ps[1], ps[0]))


def train_tokenizer(texts: list[str], vocab_size: int = 1500):
    """Train a Unigram vocabulary with ``tokenizers`` and wrap it as a transformers ``T5Tokenizer``.

    The ``tokenizers`` Unigram trainer seeds its candidate pieces only from substrings that repeat
    across *distinct* pre-tokens, so a whole word that is nobody's substring ("▁people") would
    never be a candidate and gets spelled out in fragments. Listing each distinct pre-token once
    more with a trailing ``▁`` makes every word a candidate while adding next to no counts. More
    EM sub-iterations than the default let it settle on whole-word pieces. Pieces that no word
    uses are dropped, so the vocabulary ends near the corpus's ~640 distinct words plus the
    alphabet (~730 pieces), below the ``vocab_size`` cap.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import T5Tokenizer

    pretokenized = [" ".join(_pretokenize(t)) for t in texts]
    distinct = sorted({p for line in pretokenized for p in line.split()})
    training_lines = pretokenized + [" ".join(p + "▁" for p in distinct)]

    backend = Tokenizer(models.Unigram())
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()  # lines are pre-tokenized above
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        # so that text typed in the playground never hits <unk> for plain ASCII
        initial_alphabet=list(string.ascii_letters + string.digits + string.punctuation),
        n_sub_iterations=8,
        shrinking_factor=0.9,
        show_progress=False,
    )
    backend.train_from_iterator(training_lines, trainer)

    pieces = json.loads(backend.to_str())["model"]["vocab"]
    assert [p for p, _ in pieces[:3]] == ["<pad>", "</s>", "<unk>"], pieces[:3]
    # T5 layout: sentinels take the last ids, <extra_id_0> being the very last one.
    vocab = [(p, 0.0) for p, _ in pieces[:3]] + _canonical_order(pieces[3:])
    vocab += [(f"<extra_id_{i}>", 0.0) for i in range(N_SENTINELS - 1, -1, -1)]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=N_SENTINELS)
    tokenizer.model_max_length = 512
    return tokenizer


# --------------------------------------------------------------------------------------------
# Pretraining objectives (generic: none of them is prompt -> caption)
# --------------------------------------------------------------------------------------------


# Task prefixes of the pretraining mix; span corruption has none, like T5's.
PREFIXES = ("Denoise:", "Reorder:", "Continue:")
# Share of batches per objective. Denoising gets the most: rebuilding a whole sentence from a
# damaged copy is what teaches the decoder to read and copy from the encoder (without it a LoRA
# adapter learns to ignore the prompt). Whole prompts go through span corruption (no prefix), so
# the base model mostly answers a raw IGRAG prompt with a sentinel fill-in, not with a caption.
OBJECTIVE_MIX = {
    "prompt spans": 0.25,
    "caption spans": 0.1,
    "denoise": 0.4,
    "unshuffle": 0.15,
    "continuation": 0.1,
}


class Objectives:
    """Makes (input_ids, labels) pairs from corpus text; every random choice comes from ``rng``."""

    def __init__(self, tokenizer, prompts: list[str], captions: list[str], rng: random.Random):
        self.rng = rng
        self.eos = tokenizer.eos_token_id
        # <extra_id_0> first, as T5 numbers its spans
        self.sentinels = tokenizer.convert_tokens_to_ids([f"<extra_id_{i}>" for i in range(N_SENTINELS)])
        self.encode = lambda t: tokenizer(t, add_special_tokens=False)["input_ids"]  # noqa: E731
        self.prompt_ids = [self.encode(t)[: MAX_SOURCE_TOKENS - 1] for t in prompts]
        self.caption_ids = [self.encode(t) for t in captions]
        self.caption_words = [c.rstrip(".").split() for c in captions]
        self.all_words = [w for words in self.caption_words for w in words]  # unigram distribution

    # -- the objectives; each returns (source ids, target ids), both ending in </s> --------------

    def span_corruption(self, ids: list[int], noise: float = 0.15, mean_span: float = 3.0):
        """T5's denoising: drop ~15% of tokens in short spans, predict them after sentinels."""
        n = len(ids)
        n_spans = max(1, min(N_SENTINELS, round(n * noise / mean_span)))
        masked = [False] * n
        for start in self.rng.sample(range(n), min(n, n_spans)):
            length = min(int(self.rng.expovariate(1 / mean_span)) + 1, 2 * int(mean_span))
            for j in range(start, min(n, start + length)):
                masked[j] = True
        inputs, targets, k = [], [], -1
        for j, (token, m) in enumerate(zip(ids, masked)):
            if m and (j == 0 or not masked[j - 1]):
                k += 1
                inputs.append(self.sentinels[k])
                targets.append(self.sentinels[k])
            (targets if m else inputs).append(token)
        return inputs + [self.eos], targets + [self.eos]

    def denoise(self, i: int):
        """BART-style: rebuild the whole caption from a copy with words dropped, replaced, swapped,
        and (half the time) a short span masked by a sentinel.

        The masks matter: without them "the input has a sentinel" alone would tell span
        corruption from copying, and the base model would copy from any raw prompt (which has
        none). With them only the ``Denoise:`` prefix does, and a raw prompt reads as T5 text.
        """
        words = list(self.caption_words[i])
        noisy = []
        for w in words:
            r = self.rng.random()
            if r < 0.1:
                continue  # deleted
            if r < 0.25:
                noisy.append(self.rng.choice(self.all_words))  # replaced by some other word
            else:
                noisy.append(w)
        for j in range(len(noisy) - 1):  # a few local swaps
            if self.rng.random() < 0.05:
                noisy[j], noisy[j + 1] = noisy[j + 1], noisy[j]
        if len(noisy) > 2 and self.rng.random() < 0.5:
            start = self.rng.randrange(len(noisy) - 1)
            noisy[start : start + self.rng.randint(1, 3)] = ["<extra_id_0>"]
        return self.encode("Denoise: " + " ".join(noisy)) + [self.eos], self.caption_ids[i] + [self.eos]

    def unshuffle(self, i: int):
        """Rebuild a caption from a bag of its words: word order without a template."""
        words = list(self.caption_words[i])
        self.rng.shuffle(words)
        return self.encode("Reorder: " + " ".join(words)) + [self.eos], self.caption_ids[i] + [self.eos]

    def continuation(self, i: int):
        """Continue a caption from its first words (prefix language modelling)."""
        words = self.caption_words[i]
        k = self.rng.randint(1, max(1, len(words) - 2))
        source = self.encode("Continue: " + " ".join(words[:k]))
        target = self.encode(" ".join(words[k:]) + ".")
        return source + [self.eos], target + [self.eos]

    def make(self, kind: str, index: int | None = None):
        """One pair of objective ``kind`` (from a random text unless ``index`` is given)."""
        if kind == "prompt spans":
            ids = self.prompt_ids[index if index is not None else self.rng.randrange(len(self.prompt_ids))]
            # Varying the noise (T5 uses a fixed 15%) teaches "few sentinels, short answer"; a raw
            # prompt has none, so the base model answers it briefly instead of copying a caption.
            return self.span_corruption(ids, noise=self.rng.uniform(0.02, 0.15))
        i = index if index is not None else self.rng.randrange(len(self.caption_ids))
        if kind == "caption spans":
            return self.span_corruption(self.caption_ids[i])
        return getattr(self, kind)(i)

    def batch(self, size: int) -> list[tuple[list[int], list[int]]]:
        """A batch of one objective (drawn by OBJECTIVE_MIX), so captions are not padded to prompts."""
        kind = self.rng.choices(list(OBJECTIVE_MIX), weights=list(OBJECTIVE_MIX.values()))[0]
        return [self.make(kind) for _ in range(size)]


def collate(pairs, pad_id: int):
    """Pad a batch; labels use -100 where there is no target so the loss ignores them."""
    import torch

    src_len = min(MAX_SOURCE_TOKENS, max(len(s) for s, _ in pairs))
    tgt_len = min(MAX_TARGET_TOKENS, max(len(t) for _, t in pairs))
    input_ids = torch.full((len(pairs), src_len), pad_id, dtype=torch.long)
    attention = torch.zeros((len(pairs), src_len), dtype=torch.long)
    labels = torch.full((len(pairs), tgt_len), -100, dtype=torch.long)
    for row, (s, t) in enumerate(pairs):
        s, t = s[:src_len], t[:tgt_len]
        input_ids[row, : len(s)] = torch.tensor(s)
        attention[row, : len(s)] = 1
        labels[row, : len(t)] = torch.tensor(t)
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


# --------------------------------------------------------------------------------------------
# Model and training loop
# --------------------------------------------------------------------------------------------


def build_model(vocab_size: int, dropout_rate: float = PRETRAIN_DROPOUT):
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(
        vocab_size=vocab_size,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        dropout_rate=dropout_rate,
        **MODEL_SIZE,
    )
    return T5ForConditionalGeneration(config)


def evaluate(model, pairs, pad_id: int, batch_size: int = 64) -> float:
    """Mean token loss over fixed held-out pairs."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(pairs), batch_size):
            batch = collate(pairs[i : i + batch_size], pad_id)
            n = int((batch["labels"] != -100).sum())
            total += float(model(**batch).loss) * n
            count += n
    model.train()
    return total / max(count, 1)


def pretrain(model, objectives: Objectives, held_out: dict, settings: TrainSettings, pad_id: int):
    """Plain AdamW loop, linear warmup then cosine decay; returns the final losses."""
    import torch

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": settings.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=settings.learning_rate,
    )

    def lr_at(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        progress = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    model.train()
    start, running = time.time(), 0.0
    for step in range(settings.steps):
        batch = collate(objectives.batch(settings.batch_size), pad_id)
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        running += loss.item()
        if (step + 1) % settings.log_every == 0:
            print(
                f"step {step + 1:5d}/{settings.steps}  loss {running / settings.log_every:.3f}  "
                f"lr {scheduler.get_last_lr()[0]:.2e}  {time.time() - start:5.0f}s",
                flush=True,
            )
            running = 0.0
    final = {name: evaluate(model, pairs, pad_id) for name, pairs in held_out.items()}
    return final, time.time() - start


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------

# The model card is a template beside this script ({seed}, {steps}, ... filled by main).
MODEL_CARD = (Path(__file__).resolve().parent / "demo_model_card.md").read_text(encoding="utf-8")


def save(model, tokenizer, out: Path, card: str) -> None:
    from transformers import GenerationConfig

    out.mkdir(parents=True, exist_ok=True)
    model.config.dropout_rate = SHIPPED_DROPOUT
    model.generation_config = GenerationConfig(
        decoder_start_token_id=0, eos_token_id=1, pad_token_id=0, max_new_tokens=40
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "README.md").write_text(card, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with train/val.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model folder to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--steps", type=int, default=TrainSettings.steps)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(args.seed)
    settings = TrainSettings(steps=args.steps)

    train_rows = read_jsonl(args.data / "train.jsonl")
    val_rows = read_jsonl(args.data / "val.jsonl")
    prompts, captions = corpus_texts(train_rows)
    val_prompts, val_captions = corpus_texts(val_rows)

    t0 = time.time()
    tokenizer = train_tokenizer(prompts + captions + list(PREFIXES))
    print(f"tokenizer: {len(tokenizer)} ids ({time.time() - t0:.1f}s)")

    model = build_model(len(tokenizer))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params:,} parameters")

    objectives = Objectives(tokenizer, prompts, captions, rng)
    # Fixed held-out pairs from the validation text, one set per objective family.
    held_rng = random.Random(args.seed + 1)
    held = Objectives(tokenizer, val_prompts, val_captions, held_rng)
    held_out = {}
    for kind in OBJECTIVE_MIX:
        n = len(held.prompt_ids if kind == "prompt spans" else held.caption_ids)
        held_out[kind] = [held.make(kind, i) for i in range(min(200, n))]
    before = {name: evaluate(model, pairs, tokenizer.pad_token_id) for name, pairs in held_out.items()}
    print("held-out loss before:", {k: round(v, 3) for k, v in before.items()})

    final, seconds = pretrain(model, objectives, held_out, settings, tokenizer.pad_token_id)
    print("held-out loss after: ", {k: round(v, 3) for k, v in final.items()})
    print(f"pretraining took {seconds:.0f}s")

    card = MODEL_CARD.format(
        seed=args.seed,
        steps=settings.steps,
        batch=settings.batch_size,
        lr=settings.learning_rate,
        warmup=settings.warmup_steps,
        threads=args.threads,
        vocab=len(tokenizer),
        last=N_SENTINELS - 1,
        d_model=MODEL_SIZE["d_model"],
        d_kv=MODEL_SIZE["d_kv"],
        heads=MODEL_SIZE["num_heads"],
        d_ff=MODEL_SIZE["d_ff"],
        enc=MODEL_SIZE["num_layers"],
        dec=MODEL_SIZE["num_decoder_layers"],
        buckets=MODEL_SIZE["relative_attention_num_buckets"],
        params=n_params,
        losses=", ".join(f"{k} {v:.3f}" for k, v in final.items()),
        mix=", ".join(f"{k} {v:.0%}" for k, v in OBJECTIVE_MIX.items()),
    )
    save(model, tokenizer, args.out, card)
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

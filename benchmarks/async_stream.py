"""The Playground's two streaming paths side by side: the GUI's asyncio one against the CLI's thread.

    .venv/bin/python benchmarks/async_stream.py [--rounds 9] [--tokens 64]

One process, one model (the demo model with a fresh LoRA, as in ``generate_speed.py``), one
prompt, greedy decoding forced to exactly ``--tokens`` new tokens:

- thread: ``Session.stream`` (the CLI's ``TextStream``: generation on the torch thread, ``TextIteratorStreamer``,
  the consumer polling its queue), consumed to the end;
- async: ``Session.async_stream`` (the GUI's ``AsyncTextStream``: ``AsyncTextIteratorStreamer``
  read with ``async for`` on an asyncio loop while ``run`` generates on the torch thread, as
  ``ui.ops.run`` does; here a plain asyncio loop, no Qt).

Both sides run the same ``ModelUse.stream`` (same ``generate`` call, stopping criteria, counting
streamer); what differs is only how pieces reach the consumer. Streaming against a bare
``model.generate`` is ``generate_speed.py``'s question. Rounds alternate which side goes first.
Prints tokens/s (wall clock) per round, median and min-max, and the median ratio async/thread.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate_speed import fresh_adapter  # noqa: E402
from igrag_gui.core import torch_thread  # noqa: E402
from igrag_gui.core.playground import GenerationSettings, Session  # noqa: E402
from igrag_gui.resources import demo_model_path, resource_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()

    import torch

    prompt = json.loads(resource_path("demo", "data", "val.jsonl").read_text().splitlines()[0])["prompt"]
    n = args.tokens
    settings = GenerationSettings(max_new_tokens=n, min_new_tokens=n)
    with tempfile.TemporaryDirectory() as tmp:
        session = Session.load("demo", demo_folder=demo_model_path())
        name = session.add_adapter(fresh_adapter(Path(tmp) / "fresh", demo_model_path()), name="fresh")

    def thread() -> float:
        start = time.perf_counter()
        stream = session.stream(prompt, settings, name)
        for _ in stream:
            pass
        assert stream.stats.new_tokens == n, stream.stats
        return n / (time.perf_counter() - start)

    async def consume() -> int:
        stream = session.async_stream(prompt, settings, name)
        work = asyncio.wrap_future(torch_thread.submit(stream.run))  # where ui.ops.run puts ML work
        async for _ in stream:
            pass
        return (await work).new_tokens

    def async_() -> float:
        start = time.perf_counter()
        assert asyncio.run(consume()) == n
        return n / (time.perf_counter() - start)

    sides = {"thread (Session.stream)": thread, "async (Session.async_stream)": async_}
    for fn in sides.values():  # warm up every path
        fn()
    rates: dict[str, list[float]] = {side: [] for side in sides}
    names = list(sides)
    for r in range(args.rounds):
        for side in names if r % 2 == 0 else names[::-1]:
            rates[side].append(sides[side]())
    print(f"streamed generation, {n} new tokens, demo model + LoRA r16, {torch.get_num_threads()} torch threads, "
          f"{args.rounds} rounds (alternating which goes first); tokens/s, wall clock:")
    for side, values in rates.items():
        print(f"  {side:30s} {', '.join(f'{v:.0f}' for v in values)}  (median {statistics.median(values):.0f}, "
              f"min-max {min(values):.0f}-{max(values):.0f})")
    ratios = [a / t for a, t in zip(rates["async (Session.async_stream)"], rates["thread (Session.stream)"])]
    print(f"  ratio async/thread: median of rounds {statistics.median(ratios):.3f} (min-max {min(ratios):.3f}-"
          f"{max(ratios):.3f})")

if __name__ == "__main__":
    main()

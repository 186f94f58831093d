#!/usr/bin/env python
"""Generate the embedded IGRAG demo dataset (``resources/demo/data/{train,val}.jsonl``).

Why synthetic: the app ships a demo that must fine-tune offline in about a minute, so it needs a
small dataset whose captions a tiny model can actually learn, with no licensing questions. Each
example imitates one COCO image as IGRAG sees it:

* a hidden *scene* (a family such as "surfing" plus slot values such as "a woman");
* the reference ``caption``: the scene written in its family's canonical COCO-style sentence;
* 3-5 *retrieved* captions of "similar images": paraphrases of the scene with synonyms, some wrong
  details (another slot value), sloppy casing/punctuation, and now and then an unrelated caption;
* 2-6 *detected objects* (COCO labels with normalised ``[x, y, w, h]`` boxes) implied by the scene,
  with occasional misses and false detections.

The caption is inferable from the prompt (vote over the retrieved captions, check the detections,
map synonyms back to canonical words) but no retrieved caption holds it whole (``igrag data check``
finds no prompt containing its own caption). Everything
comes from one ``random.Random(seed)``, so two runs write byte-identical files.

Usage::

    python tools/make_demo_data.py [--out DIR] [--seed N] [--train N] [--val N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from igrag_gui.core.data.checks import caption_overlap  # noqa: E402
from igrag_gui.core.data.checks import words as split_words  # noqa: E402
from igrag_gui.core.data.prompts import DetectedObject, build_prompt, position_name  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "resources" / "demo" / "data"
DEFAULT_SEED = 1234

# How noisy the retrieved neighbours are. Tuned so that a majority vote over 3-5 captions plus the
# detections usually recovers the scene, but no single caption can be trusted.
P_WRONG_SLOT = 0.2  # a neighbour mentions another value for a slot (wrong count, colour, place...)
P_CANONICAL_WORD = 0.35  # a neighbour happens to use the reference's own wording for a slot
P_REFERENCE_TEMPLATE = 0.15  # a neighbour happens to use the reference's sentence pattern
P_UNRELATED = 0.12  # one neighbour is a caption of a different kind of scene
P_SLOPPY_CASE = 0.25  # "A man riding..." (COCO captions are not normalised)
P_NO_PERIOD = 0.3
P_MISSED_DETECTION = 0.1
FALSE_DETECTIONS = (0.45, 0.4, 0.15)  # chances of 0, 1 or 2 spurious boxes


# --------------------------------------------------------------------------------------------
# Scene vocabulary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One value of a slot: the reference wording, how other captioners say it, what a detector sees."""

    text: str
    synonyms: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


def opt(text: str, *synonyms: str, labels: tuple[str, ...] | str = ()) -> Option:
    """Short constructor so the tables below stay readable."""
    if isinstance(labels, str):
        labels = (labels,)
    return Option(text, tuple(synonyms), tuple(labels))


@dataclass(frozen=True)
class Family:
    """A kind of COCO scene: one canonical sentence, several paraphrases, slots to vary."""

    name: str
    reference: str
    paraphrases: tuple[str, ...]
    slots: dict[str, tuple[Option, ...]] = field(default_factory=dict)
    labels: tuple[str, ...] = ()  # detections every image of this kind has


# Slot value sets shared by several families.
PERSON = (
    opt("a man", "a guy", "a young man", "a person", "a male", labels="person"),
    opt("a woman", "a lady", "a young woman", "a female", "a person", labels="person"),
    opt("a young boy", "a little boy", "a kid", "a child", "a small boy", labels="person"),
    opt("a little girl", "a young girl", "a small girl", "a child", "a kid", labels="person"),
)
RIDER = (
    opt("a man", "a guy", "a young man", "a person", labels="person"),
    opt("a woman", "a lady", "a young woman", "a person", labels="person"),
    opt("two men", "two guys", "a couple of men", "two people", labels=("person", "person")),
)
PEOPLE = (
    opt("a group of people", "a bunch of people", "several people", "a crowd of people",
        labels=("person", "person", "person")),
    opt("two women", "two ladies", "a couple of women", "two people", labels=("person", "person")),
    opt("a man and a woman", "a couple", "a man and his wife", "two people", labels=("person", "person")),
    opt("a family", "a group of people", "parents and their kids", labels=("person", "person", "person")),
)
SURFACE = (
    opt("a wooden table", "a wood table", "a brown table", "a table", labels="dining table"),
    opt("a white plate", "a plate", "a small plate", "a dish", labels="bowl"),
    opt("a cutting board", "a wooden board", "a chopping board"),
    opt("a kitchen counter", "a counter top", "the counter", "a counter"),
)
PARK = (
    opt("a park", "a public park", "the park", "a grassy park"),
    opt("a grassy field", "a field", "the grass", "an open field"),
    opt("a sandy beach", "the beach", "a beach", "the sand"),
)
STREET = (
    opt("a city street", "a busy street", "the street", "a road in the city"),
    opt("a sidewalk", "the sidewalk", "a walkway", "a paved path"),
    opt("a country road", "a rural road", "a dirt road", "an empty road"),
)
COLOR = (
    opt("red", "bright red"),
    opt("yellow", "bright yellow"),
    opt("blue", "light blue", "dark blue"),
    opt("green", "dark green"),
    opt("white", "bright white"),
)

FAMILIES: tuple[Family, ...] = (
    # --- sports -------------------------------------------------------------------------------
    Family(
        "surfing",
        "{who} riding a wave on top of a surfboard.",
        (
            "{who} on a surfboard riding a wave.",
            "{who} surfing a large wave in the ocean.",
            "{who} riding a surf board on a wave.",
            "{who} catching a wave on a surfboard.",
            "{who} on a big wave in the ocean.",
        ),
        {"who": PERSON},
        ("surfboard",),
    ),
    Family(
        "skateboarding",
        "{who} doing a trick on a skateboard at {where}.",
        (
            "{who} riding a skateboard at {where}.",
            "{who} jumping in the air on a skateboard at {where}.",
            "a skateboarder at {where} doing a trick.",
            "{who} performs a skateboard trick at {where}.",
        ),
        {
            "who": PERSON,
            "where": (
                opt("a skate park", "the skate park", "a skatepark"),
                opt("a ramp", "the ramp", "a wooden ramp"),
                opt("the street", "a street", "the road"),
            ),
        },
        ("skateboard",),
    ),
    Family(
        "skiing",
        "{who} skiing down a snow covered slope.",
        (
            "{who} on skis going down a snowy hill.",
            "{who} skiing down a snowy mountain.",
            "{who} riding skis down the side of a slope.",
            "{who} on a ski slope covered in snow.",
        ),
        {"who": RIDER + (opt("a group of skiers", "several skiers", "a group of people",
                             labels=("person", "person", "person")),)},
        ("skis",),
    ),
    Family(
        "snowboarding",
        "{who} riding a snowboard down {where}.",
        (
            "{who} on a snowboard going down {where}.",
            "{who} snowboarding down {where}.",
            "a snowboarder coming down {where}.",
            "{who} on a snow board on {where}.",
        ),
        {
            "who": PERSON,
            "where": (
                opt("a snowy hill", "a snow covered hill", "a hill", "the hill"),
                opt("a mountain", "the side of a mountain", "a snowy mountain"),
                opt("a steep slope", "a slope", "the slope", "a ski slope"),
            ),
        },
        ("snowboard", "person"),
    ),
    Family(
        "tennis",
        "{who} swinging a tennis racket at a ball on {court}.",
        (
            "{who} playing tennis on {court}.",
            "{who} hitting a tennis ball with a racket on {court}.",
            "{who} about to hit a ball on {court}.",
            "tennis player on {court} swinging at the ball.",
        ),
        {
            "who": PERSON[:2] + (opt("a tennis player", "a player", "an athlete", labels="person"),),
            "court": (
                opt("a tennis court", "the court", "a court", "a hard court"),
                opt("a clay court", "a red clay court", "an orange court"),
                opt("a grass court", "a green court", "the grass court"),
            ),
        },
        ("tennis racket", "sports ball"),
    ),
    Family(
        "baseball",
        "a baseball player {action} during a game.",
        (
            "a player {action} in a baseball game.",
            "a baseball player {action} on the field.",
            "baseball game with a man {action}.",
            "a man in a uniform {action} at a game.",
        ),
        {
            "action": (
                opt("swinging a bat", "swinging his bat", "taking a swing", labels="baseball bat"),
                opt("throwing a pitch", "pitching the ball", "throwing the ball",
                    labels=("sports ball",)),
                opt("catching a ball", "catching the ball", "reaching for a ball",
                    labels="baseball glove"),
            ),
        },
        ("person", "person"),
    ),
    Family(
        "frisbee",
        "{who} playing with a frisbee in {where}.",
        (
            "{who} catching a frisbee in {where}.",
            "{who} jumping to catch a frisbee in {where}.",
            "{who} running after a frisbee in {where}.",
            "{who} chasing a frisbee across {where}.",
        ),
        {
            "who": (
                opt("a dog", "a puppy", "a small dog", labels="dog"),
                opt("two dogs", "a pair of dogs", "two puppies", labels=("dog", "dog")),
                opt("a black dog", "a dark dog", "a black lab", labels="dog"),
                opt("a brown dog", "a tan dog", "a brown puppy", labels="dog"),
            ),
            "where": PARK,
        },
        ("frisbee",),
    ),
    Family(
        "kite",
        "{who} flying a kite on {where}.",
        (
            "{who} flying kites on {where}.",
            "{who} with a kite in the sky over {where}.",
            "{who} on {where} flying a colorful kite.",
            "a kite in the air above {who} on {where}.",
        ),
        {"who": PEOPLE + PERSON[2:], "where": PARK},
        ("kite",),
    ),
    Family(
        "horse riding",
        "{who} riding a horse {where}.",
        (
            "{who} on a horse {where}.",
            "{who} riding on the back of a horse {where}.",
            "{who} sitting on a brown horse {where}.",
            "{who} on horseback {where}.",
        ),
        {
            "who": RIDER[:2] + PERSON[3:],
            "where": (
                opt("on a beach", "on the beach", "along the beach", "on the sand"),
                opt("down a dirt road", "on a dirt road", "down a trail", "on a trail"),
                opt("in a field", "through a field", "in a grassy field", "in a pasture"),
            ),
        },
        ("horse",),
    ),
    Family(
        "motorcycle",
        "{who} riding a motorcycle down {where}.",
        (
            "{who} on a motorcycle on {where}.",
            "{who} riding a motor bike down {where}.",
            "{who} on a motorbike driving down {where}.",
            "a biker on {where}.",
        ),
        {"who": RIDER, "where": STREET},
        ("motorcycle",),
    ),
    Family(
        "bench",
        "{who} sitting on a bench in {where}.",
        (
            "{who} sitting on a park bench in {where}.",
            "{who} on a wooden bench in {where}.",
            "{who} resting on a bench in {where}.",
            "a bench in {where} with {who} on it.",
        ),
        {"who": PERSON + PEOPLE[1:3], "where": PARK},
        ("bench",),
    ),
    Family(
        "umbrella",
        "{who} walking down {where} holding umbrellas.",
        (
            "{who} with umbrellas walking down {where}.",
            "{who} walking in the rain on {where}.",
            "{who} holding umbrellas on {where}.",
            "umbrellas over {who} on {where}.",
        ),
        {"who": PEOPLE, "where": STREET},
        ("umbrella",),
    ),
    Family(
        "phone",
        "{who} talking on a cell phone {where}.",
        (
            "{who} on a cell phone {where}.",
            "{who} talking on the phone {where}.",
            "{who} holding a phone to the ear {where}.",
            "{who} using a mobile phone {where}.",
        ),
        {
            "who": PERSON[:2],
            "where": (
                opt("on a city street", "on the street", "outside on a street"),
                opt("in an office", "at the office", "in a small office", labels="laptop"),
                opt("in a kitchen", "in the kitchen", "inside a kitchen", labels="refrigerator"),
            ),
        },
        ("cell phone",),
    ),
    Family(
        "eating",
        "{who} sitting at a table eating {food}.",
        (
            "{who} eating {food} at a table.",
            "{who} at a dinner table with {food}.",
            "{who} around a table having {food}.",
            "{who} enjoying {food} at a restaurant.",
        ),
        {
            "who": PEOPLE,
            "food": (
                opt("pizza", "a pizza", "slices of pizza", labels="pizza"),
                opt("dinner", "a meal", "their dinner", labels="bowl"),
                opt("cake", "a cake", "birthday cake", labels="cake"),
                opt("sandwiches", "some sandwiches", "lunch", labels="sandwich"),
            ),
        },
        ("dining table",),
    ),
    Family(
        "cooking",
        "{who} preparing food in {where}.",
        (
            "{who} cooking food in {where}.",
            "{who} making a meal in {where}.",
            "{who} standing at a stove in {where}.",
            "{who} in {where} making food.",
        ),
        {
            "who": PERSON[:2] + (opt("a chef", "a cook", "a man in a white hat", labels="person"),),
            "where": (
                opt("a kitchen", "the kitchen", "a home kitchen", labels="oven"),
                opt("a restaurant kitchen", "a commercial kitchen", "a large kitchen", labels="oven"),
            ),
        },
        ("bowl",),
    ),
    # --- animals ------------------------------------------------------------------------------
    Family(
        "cat resting",
        "{who} laying on top of {where}.",
        (
            "{who} sleeping on {where}.",
            "{who} curled up on {where}.",
            "{who} lying on {where}.",
            "{who} resting on top of {where}.",
        ),
        {
            "who": (
                opt("a cat", "a kitty", "a kitten", labels="cat"),
                opt("a black cat", "a dark cat", "a black kitten", labels="cat"),
                opt("an orange cat", "an orange tabby", "a ginger cat", labels="cat"),
                opt("two cats", "a pair of cats", "two kittens", labels=("cat", "cat")),
            ),
            "where": (
                opt("a bed", "the bed", "a blanket on a bed", labels="bed"),
                opt("a couch", "the couch", "a sofa", labels="couch"),
                opt("a laptop keyboard", "a laptop", "a keyboard", labels="laptop"),
                opt("a wooden chair", "a chair", "the chair", labels="chair"),
            ),
        },
    ),
    Family(
        "dog in car",
        "{who} sticking its head out of a car window.",
        (
            "{who} looking out the window of a car.",
            "{who} with its head out of the window.",
            "{who} riding in a car with the window down.",
            "{who} hanging out of a car window.",
        ),
        {
            "who": (
                opt("a dog", "a puppy", "a happy dog", labels="dog"),
                opt("a black dog", "a dark dog", "a black lab", labels="dog"),
                opt("a small white dog", "a white dog", "a little white puppy", labels="dog"),
            ),
        },
        ("car",),
    ),
    Family(
        "giraffe",
        "{who} standing next to a tree in {where}.",
        (
            "{who} standing near a tree in {where}.",
            "{who} eating leaves from a tree in {where}.",
            "{who} by a tall tree in {where}.",
            "{who} in {where} next to some trees.",
        ),
        {
            "who": (
                opt("a giraffe", "a tall giraffe", "an adult giraffe", labels="giraffe"),
                opt("two giraffes", "a pair of giraffes", "two tall giraffes",
                    labels=("giraffe", "giraffe")),
                opt("a group of giraffes", "several giraffes", "a herd of giraffes",
                    labels=("giraffe", "giraffe", "giraffe")),
            ),
            "where": (
                opt("a zoo enclosure", "an enclosure", "a zoo", "a pen"),
                opt("the wild", "the savannah", "a grassy plain", "an open field"),
            ),
        },
    ),
    Family(
        "elephant",
        "{who} walking through {where}.",
        (
            "{who} walking across {where}.",
            "{who} crossing {where}.",
            "{who} moving through {where}.",
            "{who} seen walking in {where}.",
        ),
        {
            "who": (
                opt("an elephant", "a large elephant", "an adult elephant", labels="elephant"),
                opt("two elephants", "a pair of elephants", "an elephant and a baby elephant",
                    labels=("elephant", "elephant")),
                opt("a herd of elephants", "several elephants", "a group of elephants",
                    labels=("elephant", "elephant", "elephant")),
            ),
            "where": (
                opt("a grassy field", "a field", "the tall grass", "an open field"),
                opt("a dirt road", "a dirt path", "a dusty road", "a road"),
                opt("a river", "the water", "a muddy river", "a shallow river"),
            ),
        },
    ),
    Family(
        "zebra",
        "{who} grazing on grass in {where}.",
        (
            "{who} eating grass in {where}.",
            "{who} grazing in {where}.",
            "{who} standing in {where} eating grass.",
            "{who} in {where} with their heads down.",
        ),
        {
            "who": (
                opt("a zebra", "a single zebra", "one zebra", labels="zebra"),
                opt("two zebras", "a pair of zebras", "two zebra", labels=("zebra", "zebra")),
                opt("a herd of zebras", "several zebras", "a group of zebras",
                    labels=("zebra", "zebra", "zebra")),
            ),
            "where": (
                opt("a field", "a grassy field", "an open field", "the field"),
                opt("an enclosure", "a zoo enclosure", "a zoo", "a pen"),
            ),
        },
    ),
    Family(
        "grazing",
        "{who} grazing in a green field.",
        (
            "{who} eating grass in a field.",
            "{who} standing in a grassy pasture.",
            "{who} in a green pasture eating grass.",
            "{who} out in a lush field.",
        ),
        {
            "who": (
                opt("a herd of sheep", "a flock of sheep", "several sheep", "many sheep",
                    labels=("sheep", "sheep", "sheep")),
                opt("a herd of cows", "several cows", "a group of cattle", "many cows",
                    labels=("cow", "cow", "cow")),
                opt("two cows", "a pair of cows", "two cattle", labels=("cow", "cow")),
                opt("a brown horse", "a horse", "a brown pony", labels="horse"),
            ),
        },
    ),
    Family(
        "bird",
        "{who} perched on {where}.",
        (
            "{who} sitting on {where}.",
            "{who} standing on top of {where}.",
            "{who} resting on {where}.",
            "{who} on {where} looking around.",
        ),
        {
            "who": (
                opt("a small bird", "a little bird", "a tiny bird", labels="bird"),
                opt("a seagull", "a gull", "a white bird", labels="bird"),
                opt("a pigeon", "a gray bird", "a grey pigeon", labels="bird"),
                opt("a colorful parrot", "a parrot", "a bright bird", labels="bird"),
            ),
            "where": (
                opt("a tree branch", "a branch", "the branch of a tree"),
                opt("a wooden fence", "a fence", "the fence", "a fence post"),
                opt("a large rock", "a rock", "a big rock", "a stone"),
            ),
        },
    ),
    Family(
        "bear",
        "{who} walking on {where}.",
        (
            "{who} walking across {where}.",
            "{who} standing on {where}.",
            "{who} roaming on {where}.",
            "{who} on {where} in the wild.",
        ),
        {
            "who": (
                opt("a brown bear", "a large brown bear", "a grizzly bear", labels="bear"),
                opt("a black bear", "a small black bear", "a dark bear", labels="bear"),
                opt("a polar bear", "a white bear", "a white polar bear", labels="bear"),
            ),
            "where": (
                opt("some rocks", "the rocks", "a rocky area", "large rocks"),
                opt("the grass", "a grassy hill", "some grass", "a field"),
                opt("the snow", "snow", "a snowy field", "the ice"),
            ),
        },
    ),
    Family(
        "teddy bear",
        "a teddy bear sitting on {where}.",
        (
            "a stuffed bear sitting on {where}.",
            "a stuffed animal on {where}.",
            "a brown teddy bear on {where}.",
            "a toy bear resting on {where}.",
        ),
        {
            "where": (
                opt("a bed", "the bed", "a pillow on a bed", labels="bed"),
                opt("a wooden chair", "a chair", "the chair", labels="chair"),
                opt("a window sill", "the window", "a window ledge"),
            ),
        },
        ("teddy bear",),
    ),
    # --- vehicles -----------------------------------------------------------------------------
    Family(
        "bus",
        "{what} driving down {where}.",
        (
            "{what} on {where}.",
            "{what} traveling down {where}.",
            "{what} going down {where}.",
            "{what} parked on {where}.",
        ),
        {
            "what": (
                opt("a red double decker bus", "a double decker bus", "a red bus", "a tall red bus",
                    labels="bus"),
                opt("a white city bus", "a city bus", "a white bus", "a large bus", labels="bus"),
                opt("a yellow school bus", "a school bus", "a yellow bus", "an old school bus",
                    labels="bus"),
            ),
            "where": STREET,
        },
        ("car",),
    ),
    Family(
        "train",
        "{what} traveling down the tracks next to {where}.",
        (
            "{what} on the tracks near {where}.",
            "{what} pulling into {where}.",
            "{what} moving along the tracks by {where}.",
            "{what} on a track beside {where}.",
        ),
        {
            "what": (
                opt("a passenger train", "a commuter train", "a long train", "a train", labels="train"),
                opt("a freight train", "a cargo train", "a long freight train", labels="train"),
                opt("a red train", "a red and white train", "a bright red train", labels="train"),
                opt("a steam engine", "an old steam train", "a black steam engine", labels="train"),
            ),
            "where": (
                opt("a platform", "the platform", "a train platform"),
                opt("a station", "the station", "a train station"),
                opt("a forest", "some trees", "the woods", "a wooded area"),
            ),
        },
    ),
    Family(
        "airplane flying",
        "{what} flying through {where}.",
        (
            "{what} flying in {where}.",
            "{what} in the air in {where}.",
            "{what} soaring through {where}.",
            "{what} high up in {where}.",
        ),
        {
            "what": (
                opt("a large passenger jet", "a passenger jet", "a large jet", "a big airplane",
                    labels="airplane"),
                opt("a small plane", "a small airplane", "a little plane", "a propeller plane",
                    labels="airplane"),
                opt("a fighter jet", "a military jet", "a jet fighter", labels="airplane"),
            ),
            "where": (
                opt("a blue sky", "a clear blue sky", "the blue sky", "the sky"),
                opt("a cloudy sky", "the clouds", "a gray sky", "an overcast sky"),
            ),
        },
    ),
    Family(
        "airplane parked",
        "{what} parked on the tarmac at {where}.",
        (
            "{what} sitting on the runway at {where}.",
            "{what} on the tarmac of {where}.",
            "{what} parked at {where}.",
            "{what} waiting at the gate at {where}.",
        ),
        {
            "what": (
                opt("a large passenger jet", "a passenger jet", "a large jet", "a big airplane",
                    labels="airplane"),
                opt("a white airplane", "a white plane", "a white jet", labels="airplane"),
                opt("two airplanes", "two planes", "a pair of jets", labels=("airplane", "airplane")),
            ),
            "where": (
                opt("an airport", "the airport", "a busy airport"),
                opt("a small airport", "a small airfield", "an airfield"),
            ),
        },
        ("truck",),
    ),
    Family(
        "boat",
        "{what} floating on {where}.",
        (
            "{what} in {where}.",
            "{what} sitting on {where}.",
            "{what} on the water of {where}.",
            "{what} docked in {where}.",
        ),
        {
            "what": (
                opt("a small boat", "a little boat", "a small row boat", labels="boat"),
                opt("a sail boat", "a sailboat", "a white sail boat", labels="boat"),
                opt("several boats", "many boats", "a bunch of boats", "a row of boats",
                    labels=("boat", "boat", "boat")),
            ),
            "where": (
                opt("a lake", "a calm lake", "the lake"),
                opt("a river", "the river", "a wide river"),
                opt("a harbor", "the harbor", "a marina", "the bay"),
            ),
        },
    ),
    Family(
        "truck",
        "{what} parked on the side of {where}.",
        (
            "{what} parked on {where}.",
            "{what} stopped along {where}.",
            "{what} sitting by {where}.",
            "{what} on the side of {where}.",
        ),
        {
            "what": (
                opt("a large truck", "a big truck", "a semi truck", labels="truck"),
                opt("a white pickup truck", "a pickup truck", "a white truck", labels="truck"),
                opt("a red fire truck", "a fire truck", "a fire engine", labels="truck"),
                opt("a food truck", "a white food truck", "a small food truck", labels="truck"),
            ),
            "where": STREET,
        },
    ),
    # --- food ---------------------------------------------------------------------------------
    Family(
        "pizza",
        "a {kind} pizza sitting on top of {where}.",
        (
            "a {kind} pizza on {where}.",
            "a whole {kind} pizza on {where}.",
            "{where} with a {kind} pizza on it.",
            "a freshly baked {kind} pizza on {where}.",
        ),
        {
            "kind": (
                opt("cheese", "cheesy", "plain cheese"),
                opt("pepperoni", "pepperoni and cheese", "sausage"),
                opt("vegetable", "veggie", "vegetarian"),
                opt("mushroom", "mushroom and onion", "mushroom and olive"),
            ),
            "where": SURFACE,
        },
        ("pizza",),
    ),
    Family(
        "plate of food",
        "a plate of food with {veg} and {side} on a table.",
        (
            "a plate with {side} and {veg}.",
            "a dish of {side} and {veg} on a table.",
            "a meal of {side} with {veg} on a plate.",
            "a white plate topped with {side} and {veg}.",
        ),
        {
            "veg": (
                opt("broccoli", "broccoli florets", "steamed broccoli", labels="broccoli"),
                opt("carrots", "sliced carrots", "baby carrots", labels="carrot"),
                opt("green beans", "beans", "string beans"),
                opt("asparagus", "asparagus spears", "grilled asparagus"),
            ),
            "side": (
                opt("rice", "white rice", "brown rice"),
                opt("potatoes", "mashed potatoes", "roasted potatoes"),
                opt("meat", "steak", "sliced beef"),
                opt("chicken", "grilled chicken", "a chicken breast"),
            ),
        },
        ("dining table", "bowl"),
    ),
    Family(
        "sandwich",
        "a {main} and {side} on a plate.",
        (
            "a {main} with {side} on a plate.",
            "a {main} served with {side}.",
            "a plate holding a {main} and {side}.",
            "a {main} next to {side} on a white plate.",
        ),
        {
            "main": (
                opt("sandwich cut in half", "sandwich", "sandwich cut in two", labels="sandwich"),
                opt("hot dog", "hotdog", "hot dog in a bun", labels="hot dog"),
                opt("burger", "hamburger", "cheese burger", labels="sandwich"),
            ),
            "side": (
                opt("french fries", "fries", "some fries"),
                opt("a salad", "a side salad", "some salad", labels="broccoli"),
                opt("chips", "potato chips", "some chips"),
            ),
        },
        ("dining table",),
    ),
    Family(
        "donuts",
        "a box filled with {kind} donuts.",
        (
            "a box of {kind} donuts.",
            "a box full of {kind} doughnuts.",
            "{kind} donuts in a cardboard box.",
            "a dozen {kind} donuts in a box.",
        ),
        {
            "kind": (
                opt("glazed", "glazed sugar", "honey glazed"),
                opt("chocolate", "chocolate covered", "chocolate frosted"),
                opt("assorted", "different kinds of", "many different"),
                opt("sprinkled", "sprinkle covered", "rainbow sprinkle"),
            ),
        },
        ("donut", "donut"),
    ),
    Family(
        "cake",
        "a {kind} cake with {topping} on a table.",
        (
            "a {kind} cake topped with {topping}.",
            "a {kind} cake covered in {topping} on a table.",
            "a table with a {kind} cake and {topping}.",
            "a decorated {kind} cake with {topping}.",
        ),
        {
            "kind": (
                opt("birthday", "large birthday", "small birthday"),
                opt("chocolate", "dark chocolate", "chocolate frosted"),
                opt("wedding", "white wedding", "tall wedding"),
            ),
            "topping": (
                opt("candles", "lit candles", "a few candles"),
                opt("white frosting", "frosting", "white icing"),
                opt("strawberries", "fresh strawberries", "berries"),
            ),
        },
        ("cake", "dining table"),
    ),
    Family(
        "fruit",
        "a bowl of {fruit} sitting on {where}.",
        (
            "a bowl filled with {fruit} on {where}.",
            "{fruit} in a bowl on {where}.",
            "a bowl full of {fruit} on top of {where}.",
            "some {fruit} in a bowl on {where}.",
        ),
        {
            "fruit": (
                opt("bananas", "ripe bananas", "yellow bananas", labels=("banana", "banana")),
                opt("oranges", "fresh oranges", "ripe oranges", labels=("orange", "orange")),
                opt("apples", "red apples", "green apples", labels=("apple", "apple")),
                opt("mixed fruit", "fruit", "different fruits", labels=("apple", "banana")),
            ),
            "where": SURFACE[:1] + SURFACE[3:],
        },
        ("bowl",),
    ),
    # --- indoor -------------------------------------------------------------------------------
    Family(
        "kitchen",
        "a kitchen with {appliance} and {cabinets}.",
        (
            "a kitchen that has {appliance} and {cabinets}.",
            "a small kitchen with {cabinets} and {appliance}.",
            "a clean kitchen with {appliance} next to {cabinets}.",
            "a home kitchen with {cabinets} and {appliance}.",
        ),
        {
            "appliance": (
                opt("a stove", "a stove top", "an oven", labels="oven"),
                opt("a refrigerator", "a fridge", "a white refrigerator", labels="refrigerator"),
                opt("a microwave", "a microwave oven", "a small microwave", labels="microwave"),
                opt("a sink", "a kitchen sink", "a metal sink", labels="sink"),
            ),
            "cabinets": (
                opt("wooden cabinets", "wood cabinets", "brown cabinets"),
                opt("white cabinets", "white cupboards", "white counters"),
                opt("a tiled floor", "tile floors", "a tile floor"),
            ),
        },
    ),
    Family(
        "living room",
        "a living room with a {couch} and a {tv}.",
        (
            "a living room filled with furniture and a {tv}.",
            "a family room with a {couch} and a {tv}.",
            "a den with a {couch} in front of a {tv}.",
            "a cozy living room with a {tv} and a {couch}.",
        ),
        {
            "couch": (
                opt("couch", "sofa", "large couch", labels="couch"),
                opt("brown leather couch", "leather couch", "brown sofa", labels="couch"),
                opt("coffee table", "wooden coffee table", "small table", labels="dining table"),
            ),
            "tv": (
                opt("flat screen tv", "television", "tv", "big tv", labels="tv"),
                opt("fireplace", "brick fireplace", "stone fireplace"),
            ),
        },
        ("chair",),
    ),
    Family(
        "bathroom",
        "a bathroom with a {first} and a {second}.",
        (
            "a bathroom that has a {first} and a {second}.",
            "a small bathroom with a {second} and a {first}.",
            "a clean white bathroom with a {first}.",
            "a {first} next to a {second} in a bathroom.",
        ),
        {
            "first": (
                opt("white toilet", "toilet", "toilet bowl", labels="toilet"),
                opt("sink", "white sink", "bathroom sink", labels="sink"),
            ),
            "second": (
                opt("shower", "walk in shower", "shower stall"),
                opt("bathtub", "bath tub", "tub"),
                opt("mirror", "large mirror", "wall mirror"),
            ),
        },
    ),
    Family(
        "bedroom",
        "a bedroom with a {bed} and {extra}.",
        (
            "a bedroom that has a {bed} and {extra}.",
            "a hotel room with a {bed} and {extra}.",
            "a {bed} in a bedroom next to {extra}.",
            "a neat bedroom with {extra} and a {bed}.",
        ),
        {
            "bed": (
                opt("large bed", "big bed", "king size bed", labels="bed"),
                opt("small bed", "twin bed", "single bed", labels="bed"),
                opt("bunk bed", "set of bunk beds", "bunk beds", labels="bed"),
            ),
            "extra": (
                opt("a window", "a large window", "big windows"),
                opt("a lamp", "a night stand with a lamp", "a lamp on a table"),
                opt("white sheets", "white bedding", "white linens"),
            ),
        },
    ),
    Family(
        "computer desk",
        "{what} sitting on top of {where}.",
        (
            "{what} on top of {where}.",
            "{what} sitting on {where}.",
            "{what} on {where} next to a mouse.",
            "{what} placed on {where}.",
        ),
        {
            "what": (
                opt("a laptop computer", "a laptop", "an open laptop", labels="laptop"),
                opt("two laptops", "a pair of laptops", "two laptop computers",
                    labels=("laptop", "laptop")),
                opt("a desktop computer", "a computer monitor", "a computer", labels=("tv", "keyboard")),
            ),
            "where": (
                opt("a wooden desk", "a desk", "a wood desk", labels="dining table"),
                opt("a white desk", "a desk", "a small white desk", labels="dining table"),
                opt("a bed", "the bed", "an unmade bed", labels="bed"),
            ),
        },
        ("mouse",),
    ),
    Family(
        "flowers",
        "a vase filled with {flowers} on {where}.",
        (
            "a vase of {flowers} on {where}.",
            "{flowers} in a vase on {where}.",
            "a glass vase holding {flowers} on {where}.",
            "some {flowers} in a vase sitting on {where}.",
        ),
        {
            "flowers": (
                opt("red roses", "roses", "red flowers"),
                opt("yellow flowers", "yellow tulips", "sunflowers"),
                opt("white flowers", "white lilies", "white daisies"),
            ),
            "where": SURFACE[:1] + (opt("a window sill", "the window", "a window ledge"),),
        },
        ("vase", "potted plant"),
    ),
    Family(
        "luggage",
        "{what} sitting on {where}.",
        (
            "{what} on {where}.",
            "{what} lined up on {where}.",
            "{what} left on {where}.",
            "{what} stacked on {where}.",
        ),
        {
            "what": (
                opt("a pile of luggage", "a stack of suitcases", "lots of luggage",
                    labels=("suitcase", "suitcase", "suitcase")),
                opt("a black suitcase", "a suitcase", "a dark suitcase", labels="suitcase"),
                opt("two suitcases", "a pair of suitcases", "two bags", labels=("suitcase", "suitcase")),
            ),
            "where": (
                opt("the floor", "a wooden floor", "the carpet"),
                opt("a sidewalk", "the sidewalk", "the curb"),
                opt("a bed", "the bed", "a hotel bed", labels="bed"),
            ),
        },
    ),
    # --- street -------------------------------------------------------------------------------
    Family(
        "clock tower",
        "a tall clock tower in the middle of {where}.",
        (
            "a clock tower in {where}.",
            "a large clock on a tower in {where}.",
            "a tall tower with a clock in {where}.",
            "an old clock tower standing in {where}.",
        ),
        {
            "where": (
                opt("a city", "the city", "a big city", "downtown"),
                opt("a town square", "a small town", "the square", "a plaza"),
                opt("a park", "the park", "a green park"),
            ),
        },
        ("clock",),
    ),
    Family(
        "traffic light",
        "a traffic light {state} on {where}.",
        (
            "a traffic signal {state} on {where}.",
            "a stop light {state} on {where}.",
            "the traffic lights {state} over {where}.",
            "a traffic light over {where} {state}.",
        ),
        {
            "state": (
                opt("turned red", "showing red", "on red"),
                opt("turned green", "showing green", "on green"),
                opt("hanging", "hanging over the road", "suspended"),
            ),
            "where": STREET[:1] + (opt("a corner", "the corner", "a street corner", "an intersection"),),
        },
        ("traffic light", "car"),
    ),
    Family(
        "stop sign",
        "a red stop sign on {where}.",
        (
            "a stop sign on {where}.",
            "a red and white stop sign on {where}.",
            "a stop sign posted on {where}.",
            "a street sign and a stop sign on {where}.",
        ),
        {
            "where": (
                opt("the corner of a street", "a street corner", "the corner", "an intersection"),
                opt("a pole", "a metal pole", "a post", "a wooden post"),
                opt("the side of a road", "a road", "the road side", "a country road"),
            ),
        },
        ("stop sign",),
    ),
    Family(
        "fire hydrant",
        "a {color} fire hydrant on {where}.",
        (
            "a {color} hydrant on {where}.",
            "a {color} fire hydrant sitting on {where}.",
            "an old {color} fire hydrant on {where}.",
            "a {color} colored fire hydrant by {where}.",
        ),
        {
            "color": COLOR[:4],
            "where": (
                opt("the sidewalk", "a sidewalk", "the side walk"),
                opt("the side of a street", "a street", "the street"),
                opt("a grassy area", "the grass", "some grass"),
            ),
        },
        ("fire hydrant",),
    ),
    Family(
        "parked bicycles",
        "{what} parked next to {where}.",
        (
            "{what} parked by {where}.",
            "{what} leaning against {where}.",
            "{what} locked up next to {where}.",
            "{what} beside {where}.",
        ),
        {
            "what": (
                opt("a bicycle", "a bike", "an old bike", labels="bicycle"),
                opt("two bicycles", "two bikes", "a pair of bikes", labels=("bicycle", "bicycle")),
                opt("a row of bicycles", "many bikes", "several bicycles",
                    labels=("bicycle", "bicycle", "bicycle")),
            ),
            "where": (
                opt("a building", "a brick building", "a wall"),
                opt("a tree", "a large tree", "a small tree"),
                opt("a bench", "a park bench", "a wooden bench", labels="bench"),
            ),
        },
    ),
)

# Detectors also fire on things that are not there; draw false positives from common COCO labels.
FALSE_LABELS = (
    "person", "car", "chair", "bottle", "cup", "handbag", "backpack", "bench", "potted plant",
    "book", "clock", "tv", "dog", "bird", "umbrella", "truck", "bowl", "cell phone", "tie",
)
# Where objects of a label usually sit (rows of the image), so positions read plausibly.
HIGH_LABELS = {"kite", "airplane", "clock", "traffic light", "bird", "tv", "stop sign"}
LOW_LABELS = {
    "surfboard", "skateboard", "skis", "snowboard", "dining table", "bench", "suitcase",
    "fire hydrant", "bowl", "mouse", "keyboard", "bed", "couch", "car", "boat", "sports ball",
}


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _phrase(rng: random.Random, option: Option) -> str:
    """How one captioner words a slot value: sometimes the reference wording, mostly a synonym."""
    if not option.synonyms or rng.random() < P_CANONICAL_WORD:
        return option.text
    return rng.choice(option.synonyms)


def _fill(template: str, words: dict[str, str]) -> str:
    text = template.format(**words)
    return text[0].lower() + text[1:]


def _sloppy(rng: random.Random, caption: str) -> str:
    """COCO captions come with inconsistent casing and punctuation."""
    if rng.random() < P_SLOPPY_CASE:
        caption = caption[0].upper() + caption[1:]
    if rng.random() < P_NO_PERIOD:
        caption = caption.rstrip(".")
    return caption


def _neighbour_caption(
    rng: random.Random, family: Family, scene: dict[str, Option], caption: str = ""
) -> tuple[str, int]:
    """A retrieved caption of a similar image; returns it and how many details it gets wrong.

    A neighbour never holds the example's own ``caption`` (ignoring case and punctuation): with
    the reference template and every slot in its reference wording it would be the answer itself,
    a leak ``igrag data check`` reports. Such a neighbour takes the family's first paraphrase that
    does not hold it, with the same words and sloppiness; no random draw is added, so every other
    row stays as it was.
    """
    templates = family.paraphrases
    template = family.reference if rng.random() < P_REFERENCE_TEMPLATE else rng.choice(templates)
    words, errors = {}, 0
    for name, options in family.slots.items():
        option = scene[name]
        if len(options) > 1 and rng.random() < P_WRONG_SLOT:
            option = rng.choice([o for o in options if o is not scene[name]])
            errors += 1
        words[name] = _phrase(rng, option)
    text = _sloppy(rng, _fill(template, words))
    if caption and caption_overlap(split_words(text), split_words(caption)) == "all":
        for other in templates:
            again = _fill(other, words)
            if caption_overlap(split_words(again), split_words(caption)) != "all":
                upper = text[:1].isupper()
                again = (again[0].upper() + again[1:]) if upper else again
                text = again if text.endswith(".") else again.rstrip(".")
                break
    return text, errors


def _random_scene(rng: random.Random, family: Family) -> dict[str, Option]:
    return {name: rng.choice(options) for name, options in family.slots.items()}


def _bbox(rng: random.Random, label: str) -> list[float]:
    """A plausible normalised ``[x, y, w, h]`` box for ``label``."""
    w = rng.uniform(0.08, 0.5)
    h = rng.uniform(0.08, 0.5)
    if label in HIGH_LABELS:
        cy = rng.uniform(0.05, 0.45)
    elif label in LOW_LABELS:
        cy = rng.uniform(0.55, 0.95)
    else:
        cy = rng.uniform(0.15, 0.85)
    cx = rng.uniform(0.05, 0.95)
    x = min(max(cx - w / 2, 0.0), 1.0 - w)
    y = min(max(cy - h / 2, 0.0), 1.0 - h)
    return [round(x, 3), round(y, 3), round(w, 3), round(h, 3)]


def _detections(rng: random.Random, family: Family, scene: dict[str, Option]) -> list[dict]:
    """What an object detector reports for the scene: mostly right, sometimes not."""
    true_labels = list(family.labels)
    for option in scene.values():
        true_labels.extend(option.labels)
    labels = [lab for lab in true_labels if rng.random() >= P_MISSED_DETECTION] or true_labels[:1]
    n_false = rng.choices((0, 1, 2), weights=FALSE_DETECTIONS)[0]
    labels.extend(rng.choice(FALSE_LABELS) for _ in range(n_false))
    while len(labels) < 2:
        labels.append(rng.choice(FALSE_LABELS))
    labels = labels[:6]
    rng.shuffle(labels)
    return [{"label": lab, "bbox": _bbox(rng, lab)} for lab in labels]


def make_example(rng: random.Random, image_id: int, split: str) -> dict:
    """One IGRAG example: hidden scene -> reference caption, neighbours, detections, prompt."""
    family = rng.choice(FAMILIES)
    scene = _random_scene(rng, family)
    caption = _fill(family.reference, {name: o.text for name, o in scene.items()})

    retrieved = []
    for _ in range(rng.randint(3, 5)):
        text, errors = _neighbour_caption(rng, family, scene, caption)
        score = 0.9 - 0.06 * errors + rng.uniform(-0.08, 0.06)
        retrieved.append({"caption": text, "score": score})
    if rng.random() < P_UNRELATED:
        other = rng.choice([f for f in FAMILIES if f is not family])
        text, _ = _neighbour_caption(rng, other, _random_scene(rng, other))
        retrieved[rng.randrange(len(retrieved))] = {"caption": text, "score": rng.uniform(0.45, 0.7)}
    retrieved.sort(key=lambda r: -r["score"])  # a retriever returns its best match first
    for r in retrieved:
        r["score"] = round(r["score"], 3)

    objects = _detections(rng, family, scene)
    prompt = build_prompt(
        [r["caption"] for r in retrieved],
        [DetectedObject(o["label"], position_name(o["bbox"])) for o in objects],
    )
    return {
        "image_id": image_id,
        "prompt": prompt,
        "caption": caption,
        "metadata": {"split": split, "scene": family.name, "retrieved": retrieved, "objects": objects},
    }


def make_dataset(seed: int, n_train: int, n_val: int) -> dict[str, list[dict]]:
    """Both splits from one seed; image ids are COCO-like and disjoint between the splits."""
    rng = random.Random(seed)
    ids = rng.sample(range(1, 600_000), n_train + n_val)
    train_ids, val_ids = sorted(ids[:n_train]), sorted(ids[n_train:])
    return {
        "train": [make_example(rng, i, "train") for i in train_ids],
        "val": [make_example(rng, i, "val") for i in val_ids],
    }


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for train/val.jsonl")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--train", type=int, default=1000, help="number of training examples")
    parser.add_argument("--val", type=int, default=100, help="number of validation examples")
    args = parser.parse_args(argv)

    splits = make_dataset(args.seed, args.train, args.val)
    for name, rows in splits.items():
        write_jsonl(args.out / f"{name}.jsonl", rows)
        print(f"wrote {len(rows)} examples to {args.out / f'{name}.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

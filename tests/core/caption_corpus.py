"""Varied synthetic captions (deterministic) for comparing tokenizers and scorers.

COCO-style sentences with what generated and human captions contain: capitals, numbers (counts,
decimals, thousands, times, ordinals, money, percentages), punctuation, quotes (straight and
curly), brackets, dashes, ellipses, contractions and possessives, hyphenated words,
abbreviations, slashes, ampersands, accents, stray spaces and empty captions.
"""

from __future__ import annotations

import random

SUBJECTS = ["a man", "A woman", "two dogs", "The cat", "a group of people", "Three kids", "an old man",
            "a young girl", "the players", "A Brown Horse", "several birds", "a chef", "Mr. Smith",
            "Dr. Jones", "a U.S. soldier", "the team's coach", "the dogs'", "somebody", "a T-shirt vendor",
            "two teddy bears", "a 3-year-old boy", "people", "a café owner", "a naïve tourist"]
VERBS = ["is sitting on", "stands next to", "riding", "holding", "looking at", "eats", "isn't near",
         "can't reach", "won't leave", "is playing with", "jumps over", "walks along", "they're watching",
         "we've seen", "I'm holding", "she'd like", "cannot find", "is gonna eat", "wanna see",
         "parked beside", "flying over", "was cutting", "throws"]
OBJECTS = ["a red frisbee", "the kitchen counter", "a plate of food", "a snowy hill", "the ocean",
           "a double-decker bus", "an e-mail", "the dog's bowl", "a 1,000-piece puzzle", "3.5 pizzas",
           "a $5 bill", "50% of the cake", "the 2nd floor", "10:30 am", "5 p.m.", "St. Louis",
           "a rock'n'roll band", "his/her bag", "salt & pepper", "R&B records", "o'clock tower",
           "the 1990s car", "'90s music", "an X-ray", "a well-lit room", "New York City", "a giraffe",
           "a pair of skis", "ice cream", "the TV", "a laptop", "a sign that says \"STOP\"",
           "a \u201cfor sale\u201d sign", "the \u2018best\u2019 view", "a cat's toy"]
TAILS = ["", ".", " .", "!", "!!", "?", "?!", "...", " ...", ";", ",", " (outdoors)", " [blurry]",
         " {sic}", " -- again", " \u2014 at night", " \u2013 maybe", " - outside", ", etc.", ", i.e. here.",
         " at 5 p.m.", " in the U.S.", " vs. a dog.", " \u2019cause it rains", " 'cause why not"]
JOINERS = [" and ", ", ", " while ", " ; ", " : ", " -- ", " / ", " & ", " with "]


def caption(rng: random.Random) -> str:
    if rng.random() < 0.02:
        return rng.choice(["", " ", "  .  "])
    parts = [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"]
    while rng.random() < 0.35:
        parts.append(rng.choice(JOINERS) + f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}")
    text = "".join(parts) + rng.choice(TAILS)
    if rng.random() < 0.1:
        text = text.upper()
    elif rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.1:
        text = "  " + text.replace(" ", "  ", 1) + " "
    if rng.random() < 0.05:
        text = f"\"{text}\""
    if rng.random() < 0.05:
        text = f"({text})"
    return text


def captions(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [caption(rng) for _ in range(n)]


# Plain COCO-like captions (what models and annotators mostly write), for speed and the fast path.
COCO_SUBJECTS = ["man", "woman", "dog", "cat", "group of people", "young boy", "girl", "train", "bus", "plate of food",
                 "pizza", "giraffe", "elephant", "bird", "skier", "surfer", "kitchen", "bathroom", "laptop", "teddy bear"]
COCO_ADJECTIVES = ["", "", "small ", "large ", "red ", "white ", "black ", "young ", "old ", "wooden ", "big "]
COCO_VERBS = ["sitting on", "standing next to", "riding", "holding", "looking at", "walking down", "parked on",
              "laying on", "flying over", "eating", "playing with", "on top of", "in front of", "next to"]
COCO_PLACES = ["a table", "the street", "a field", "the beach", "a snowy slope", "a wave", "a couch", "the grass",
               "a city street", "a kitchen counter", "the water", "a tennis court", "a dirt road", "a bed"]
COCO_COUNTS = ["A", "A", "A", "The", "Two", "Three", "a", "2", "An"]


def coco_like(rng: random.Random) -> str:
    count = rng.choice(COCO_COUNTS)
    noun = rng.choice(COCO_SUBJECTS) + ("s" if count in ("Two", "Three", "2") else "")
    article = "An" if count == "An" else count
    text = f"{article} {rng.choice(COCO_ADJECTIVES)}{noun} {rng.choice(COCO_VERBS)} {rng.choice(COCO_PLACES)}"
    if rng.random() < 0.2:
        text += f", {rng.choice(COCO_VERBS)} {rng.choice(COCO_PLACES)}"
    return text + rng.choice([".", ".", ".", "", " ."])


def coco_like_captions(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [coco_like(rng) for _ in range(n)]

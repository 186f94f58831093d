"""Scene families of the demo data, part 2 of 3 (``make_demo_data.FAMILIES`` joins them)."""

from __future__ import annotations

from demo_vocabulary import STREET, SURFACE, Family, opt

FAMILIES: tuple[Family, ...] = (
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
)

"""Scene families of the demo data, part 3 of 3 (``make_demo_data.FAMILIES`` joins them)."""

from __future__ import annotations

from demo_vocabulary import COLOR, STREET, SURFACE, Family, opt

FAMILIES: tuple[Family, ...] = (
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

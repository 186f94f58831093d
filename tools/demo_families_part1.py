"""Scene families of the demo data, part 1 of 3 (``make_demo_data.FAMILIES`` joins them)."""

from __future__ import annotations

from demo_vocabulary import PARK, PEOPLE, PERSON, RIDER, STREET, Family, opt

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
)

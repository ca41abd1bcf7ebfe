"""Nouns beyond the hand-drawn ones: every emoji name, and stand-ins for animals that have no emoji.

The ``emoji`` package (``emoji.EMOJI_DATA``: CLDR names and GitHub aliases) maps words to characters;
:mod:`.openmoji` draws them. Only pictures of things are indexed (animals, plants, food, vehicles,
buildings, objects and a few characters), not faces, hands, signs, flags or keycaps, and never a word that
means something else in a prompt: colours ("orange"), settings ("ocean", "office"), times ("sunset"),
weather ("fog") or styles ("pencil", "art").

:data:`STAND_INS` is the small hand-written table for nouns without an emoji: the nearest drawable noun
and a tint ("red panda" is a raccoon tinted red-brown). The reply text names the stand-in.

This module knows nothing of the hand-drawn nouns; :mod:`.shapes` consults them first and then
:func:`lookup` here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import openmoji
from .palette import COLOURS, RGB, SETTING_WORDS, find_time, find_weather

__all__ = ["BIGRAMS_OVER_HAND_DRAWN", "STAND_INS", "Entry", "emoji_names", "entry", "lookup", "plural"]


@dataclass(frozen=True)
class Entry:
    """A noun drawn from an emoji: the character, its size and place in a scene, and any stand-in facts."""

    name: str  # the noun as asked ("owl", "red panda")
    char: str  # the emoji drawn
    place: str  # "ground", "sky", "small", "water" (see toolkit.simulator.shapes.Noun)
    height: float  # fraction of the image height
    tint: RGB | None = None  # stand-ins: the colour that makes them closer to what was asked
    stand_in: str = ""  # stand-ins: what is drawn instead ("raccoon"); "" when the noun is drawn as itself
    emissive: bool = False  # glows at night (fire, candles, fireworks)


# Unicode blocks of pictures of things: (first, last, kind). The first matching row wins.
_KINDS: tuple[tuple[int, int, str], ...] = (
    (0x1F3E0, 0x1F3F0, "building"), (0x1F5FB, 0x1F5FF, "building"), (0x26EA, 0x26EA, "building"),
    (0x26F2, 0x26FA, "building"), (0x1F6D5, 0x1F6D6, "building"), (0x1F6DD, 0x1F6DD, "building"),
    (0x1F400, 0x1F43F, "animal"), (0x1F980, 0x1F9AE, "animal"), (0x1FAB0, 0x1FABF, "animal"),
    (0x1FACE, 0x1FACF, "animal"), (0x1F54A, 0x1F54A, "animal"), (0x1F577, 0x1F578, "animal"),
    (0x1F32D, 0x1F37F, "food"), (0x1F950, 0x1F96F, "food"), (0x1F9C0, 0x1F9CB, "food"), (0x1FAD0, 0x1FADF, "food"),
    (0x2615, 0x2615, "food"),
    (0x1F330, 0x1F344, "plant"), (0x1F490, 0x1F490, "plant"),
    (0x1F680, 0x1F6FF, "vehicle"),
    (0x1F300, 0x1F32C, "sky"),
    (0x1F385, 0x1F385, "person"), (0x1F47B, 0x1F480, "person"), (0x1F977, 0x1F977, "person"),
    (0x1F9B8, 0x1F9B9, "person"), (0x1F9D9, 0x1F9DF, "person"),
    (0x1F380, 0x1F3CF, "object"), (0x1F3F8, 0x1F3FA, "object"), (0x1F451, 0x1F462, "object"),
    (0x1F484, 0x1F4FF, "object"), (0x1F500, 0x1F5FA, "object"), (0x1F90C, 0x1F90F, "object"),
    (0x1F940, 0x1F94F, "object"), (0x1F9E0, 0x1F9FF, "object"), (0x1FA70, 0x1FAAF, "object"),
    (0x2600, 0x27BF, "object"),
)

_KIND_LOOK: dict[str, tuple[str, float]] = {  # kind -> (place, height)
    "animal": ("ground", 0.24), "food": ("small", 0.11), "plant": ("ground", 0.18), "vehicle": ("ground", 0.2),
    "building": ("ground", 0.42), "sky": ("sky", 0.14), "person": ("ground", 0.3), "object": ("small", 0.13),
}

# Sizes and places that the blocks get wrong: name -> (place or "", height or 0).
_LOOK: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("horse", "camel", "dromedary camel", "llama", "polar bear", "bison", "water buffalo", "moose",
                     "deer", "zebra", "gorilla", "kangaroo", "unicorn", "orangutan", "flamingo"), ("", 0.34)),
    **dict.fromkeys(("elephant", "mammoth", "giraffe", "sauropod", "t rex", "dragon", "rhinoceros",
                     "hippopotamus"), ("", 0.42)),
    **dict.fromkeys(("bear", "cow", "ox", "lion", "tiger", "leopard", "donkey", "wolf", "panda", "peacock",
                     "eagle", "ostrich"), ("", 0.3)),
    **dict.fromkeys(("mouse", "rat", "hamster", "chipmunk", "hedgehog", "frog", "snail", "crab", "lizard",
                     "chick", "baby chick", "hatching chick"), ("", 0.12)),
    **dict.fromkeys(("ant", "bee", "honeybee", "bug", "beetle", "lady beetle", "cricket", "mosquito", "fly", "worm",
                     "spider", "scorpion", "microbe", "cockroach"), ("", 0.07)),
    **dict.fromkeys(("whale", "spouting whale", "dolphin", "shark", "octopus", "squid", "jellyfish",
                     "tropical fish", "blowfish", "orca", "seal", "coral"), ("water", 0.16)),
    **dict.fromkeys(("bat", "dove", "helicopter", "flying saucer", "parachute", "kite", "comet", "rainbow",
                     "satellite", "fireworks", "phoenix", "ghost", "angel", "fairy"), ("sky", 0.18)),
    **dict.fromkeys(("tent", "circus tent", "fountain", "ferris wheel", "roller coaster", "moai", "statue of liberty",
                     "christmas tree", "palm tree", "evergreen tree", "tanabata tree", "cactus", "door", "ladder",
                     "bed", "chair", "bicycle", "bike", "motorcycle", "guitar", "violin", "snowboarder", "skier",
                     "surfer", "runner"), ("ground", 0.3)),
    **dict.fromkeys(("palm tree", "christmas tree", "evergreen tree", "tokyo tower"), ("ground", 0.46)),
}

_EMISSIVE = frozenset({"fire", "candle", "light bulb", "bulb", "lantern", "izakaya lantern", "fireworks", "sparkler",
                       "sparkles", "comet", "shooting star", "glowing star", "flashlight", "diya lamp"})

def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that are emoji names but mean something else in a prompt, or are not things.
_NOT_NOUNS = _word_set("""
abc abcd back end on soon top o v x plus minus multiply divide question exclamation infinity repeat loop wc atm
mens womens restroom symbols sound mute mega mag dash boom zzz zap dizzy anger collision relaxed underage
prohibited warning biohazard radioactive recycle fu om khanda hamsa japan art ocean office sunny sunrise sunset fog
foggy running walking golfing cooking calling shopping smoking compression customs construction kiss couplekiss
massage haircut date ten pick mate ice shit harambe beginner tada heartbeat heartpulse hearts bookmark link memo
pencil crayon paintbrush camera framed picture cinema clapper film sparkle spades clubs diamonds star stars milky
way aries taurus gemini cancer leo virgo libra scorpius scorpio sagittarius capricorn aquarius pisces ophiuchus
bullseye feet eyes hand fist muscle wireless station motorway information window fly bank pound school notes scales
wood
""")

_IRREGULAR = {"mouse": "mice", "goose": "geese", "sheep": "sheep", "deer": "deer", "bison": "bison", "fish": "fish",
              "moose": "moose", "octopus": "octopuses", "cactus": "cacti", "person": "people", "tooth": "teeth",
              "wolf": "wolves", "leaf": "leaves", "knife": "knives", "elf": "elves", "ox": "oxen", "shrimp": "shrimp",
              "squid": "squid", "bus": "buses", "cherries": "cherries", "grapes": "grapes"}

BIGRAMS_OVER_HAND_DRAWN = frozenset({"palm tree", "christmas tree", "evergreen tree", "hot dog", "polar bear",
                                     "teddy bear", "flying saucer", "fire engine"})
"""Two-word emoji names preferred over the hand-drawn noun their last word names ("full moon" is not here)."""

# A name as asked -> (what is drawn: an emoji name here or a character, a tint or None). Hand-drawn stand-ins
# ("dog", "person") are resolved by toolkit.simulator.shapes.
STAND_INS: dict[str, tuple[str, RGB | None]] = {
    "red panda": ("raccoon", (192, 82, 40)), "cheetah": ("leopard", (222, 176, 96)), "jaguar": ("leopard", None),
    "panther": ("leopard", (52, 48, 56)), "puma": ("lion", (196, 150, 104)), "cougar": ("lion", (196, 150, 104)),
    "mountain lion": ("lion", (196, 150, 104)), "lynx": ("cat", (196, 160, 112)), "bobcat": ("cat", (190, 150, 104)),
    "coyote": ("wolf", (176, 136, 92)), "jackal": ("wolf", (196, 146, 84)), "hyena": ("dog", (170, 140, 96)),
    "fennec": ("fox", (232, 196, 140)), "arctic fox": ("fox", (236, 236, 240)),
    "ferret": ("otter", None), "weasel": ("otter", (170, 120, 70)), "stoat": ("otter", None), "mink": ("otter", None),
    "mole": ("mouse", (70, 60, 60)), "vole": ("mouse", None), "gerbil": ("hamster", None),
    "guinea pig": ("hamster", (200, 150, 100)), "platypus": ("beaver", None), "alpaca": ("llama", (236, 226, 210)),
    "lemur": ("monkey", (150, 150, 160)), "chimpanzee": ("gorilla", (70, 56, 48)), "chimp": ("gorilla", (70, 56, 48)),
    "baboon": ("monkey", None), "gibbon": ("monkey", None), "ape": ("gorilla", None),
    "reindeer": ("deer", None), "caribou": ("deer", None), "elk": ("moose", None), "stag": ("deer", None),
    "antelope": ("deer", (206, 156, 96)), "gazelle": ("deer", (206, 156, 96)), "bull": ("ox", None),
    "calf": ("cow", None), "lamb": ("sheep", None), "pony": ("horse", None), "foal": ("horse", None),
    "stallion": ("horse", None), "mare": ("horse", None), "mule": ("donkey", None), "hare": ("rabbit", None),
    "bunny": ("rabbit", None), "toad": ("frog", (150, 130, 80)), "newt": ("lizard", (220, 110, 40)),
    "salamander": ("lizard", (230, 120, 30)), "iguana": ("lizard", None), "gecko": ("lizard", None),
    "chameleon": ("lizard", None), "alligator": ("crocodile", None), "tortoise": ("turtle", (150, 120, 80)),
    "walrus": ("seal", (150, 110, 90)), "sea lion": ("seal", (140, 100, 70)), "manatee": ("seal", (140, 140, 150)),
    "killer whale": ("orca", None), "narwhal": ("whale", None), "egret": ("flamingo", (240, 240, 240)),
    "heron": ("flamingo", (170, 180, 196)), "stork": ("flamingo", (240, 240, 240)),
    "crane": ("flamingo", (230, 230, 230)), "pelican": ("swan", None),
    "hummingbird": ("\U0001f426", (60, 170, 120)), "sparrow": ("\U0001f426", (150, 110, 80)),
    "robin": ("\U0001f426", (200, 96, 56)), "finch": ("\U0001f426", (220, 180, 60)),
    "canary": ("\U0001f426", (245, 210, 40)), "bluebird": ("\U0001f426", None), "songbird": ("\U0001f426", None),
    "kingfisher": ("\U0001f426", (40, 140, 200)), "woodpecker": ("\U0001f426", (200, 60, 50)),
    "dinosaur": ("sauropod", None), "brontosaurus": ("sauropod", None), "diplodocus": ("sauropod", None),
    "stegosaurus": ("sauropod", (120, 150, 80)), "triceratops": ("sauropod", (160, 130, 90)),
    "velociraptor": ("t rex", None), "raptor": ("t rex", None), "yeti": ("gorilla", (236, 236, 242)),
    "bigfoot": ("gorilla", (110, 80, 56)),
    "astronaut": ("\U0001f9d1\u200d\U0001f680", None), "firefighter": ("\U0001f9d1\u200d\U0001f692", None),
    "pilot": ("\U0001f9d1\u200d\u2708\ufe0f", None), "scientist": ("\U0001f9d1\u200d\U0001f52c", None),
    "doctor": ("\U0001f9d1\u200d\u2695\ufe0f", None), "teacher": ("\U0001f9d1\u200d\U0001f3eb", None),
    "artist": ("\U0001f9d1\u200d\U0001f3a8", None), "student": ("\U0001f9d1\u200d\U0001f393", None),
    "mechanic": ("\U0001f9d1\u200d\U0001f527", None), "singer": ("\U0001f9d1\u200d\U0001f3a4", None),
    "baby": ("\U0001f476", None), "police officer": ("\U0001f46e", None), "policeman": ("\U0001f46e", None),
    "knight": ("person", (160, 164, 176)), "soldier": ("person", (96, 104, 64)), "cook": ("person", (246, 246, 246)),
    "sofa": ("\U0001f6cb\ufe0f", None), "couch": ("\U0001f6cb\ufe0f", None), "smartphone": ("\U0001f4f1", None),
    "vase": ("amphora", None), "bowl": ("\U0001f963", None), "noodles": ("\U0001f35c", None),
    "soup": ("\U0001f372", None), "salad": ("\U0001f957", None), "steak": ("\U0001f969", None),
    "wine": ("\U0001f377", None), "juice": ("\U0001f9c3", None), "milk": ("\U0001f95b", None),
    "burger": ("hamburger", None), "cheeseburger": ("hamburger", None), "ufo": ("flying saucer", None),
    "scooter": ("\U0001f6f4", None), "motorbike": ("motorcycle", None), "tower": ("\U0001f5fc", None),
    "squirrel": ("chipmunk", None), "piano": ("\U0001f3b9", None), "keyboard": ("\U0001f3b9", None),
    "clock": ("\U0001f570\ufe0f", None), "donut": ("doughnut", None), "lamp": ("\U0001f4a1", None),
}


def plural(word: str) -> str:
    """The plural of a noun (last word of a two-word name): "owl" -> "owls", "fox" -> "foxes", "mouse" -> "mice"."""
    head, _, last = word.rpartition(" ")
    if last in _IRREGULAR:
        out = _IRREGULAR[last]
    elif last.endswith(("s", "sh", "ch", "x", "z")):
        out = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        out = last[:-1] + "ies"
    elif last.endswith("man"):
        out = last[:-3] + "men"
    else:
        out = last + "s"
    return f"{head} {out}" if head else out


def _label(char: str) -> str:
    """The CLDR name of an emoji ("person: astronaut" -> "astronaut"), for reply texts."""
    try:
        import emoji
    except ImportError:
        return "an emoji"
    name = str(emoji.EMOJI_DATA.get(char, {}).get("en", ":an emoji:")).strip(":").replace("_", " ")
    return name.split(": ")[-1].lower()


def _kind(char: str) -> str | None:
    cp = ord(char[0])
    return next((k for a, b, k in _KINDS if a <= cp <= b), None)


def _reserved(word: str) -> bool:
    """Words a prompt uses for something other than a subject: colours, settings, times, weather, styles."""
    if word in _NOT_NOUNS or word.split()[0] in COLOURS:  # "red apple": the colour is an adjective
        return True
    if find_time(word) or find_weather(word):
        return True
    return any(re.fullmatch(p, word) for p, _ in SETTING_WORDS)


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, str]]:
    """Name (lower case, one or two words) -> (character, kind), for every indexed emoji."""
    try:
        import emoji
    except ImportError:
        return {}
    out: dict[str, tuple[str, str]] = {}
    aliases: list[tuple[str, str, str]] = []
    for char, info in emoji.EMOJI_DATA.items():
        if info.get("status") != emoji.STATUS["fully_qualified"]:
            continue
        cps = [ord(c) for c in char if c != "\ufe0f"]
        kind = _kind(char)
        if kind is None or any(0x1F3FB <= c <= 0x1F3FF for c in cps):
            continue  # not a picture of a thing, or a skin-tone variant
        if len(cps) > 1 and not (len(cps) == 3 and cps[1] == 0x200D and _kind(chr(cps[2])) is not None):
            continue  # keep "polar bear" (bear + ZWJ + snowflake), not keycaps, flags or people sequences
        names = [str(info["en"])] + [str(a) for a in info.get("alias", [])]
        for i, raw in enumerate(names):
            name = raw.strip(":").replace("_", " ").replace("-", " ").lower()
            if not re.fullmatch(r"[a-z]+(?: [a-z]+)?", name) or _reserved(name):
                continue
            if i == 0:
                out.setdefault(name, (char, kind))
            else:
                aliases.append((name, char, kind))
    for name, char, kind in aliases:  # a CLDR name beats an alias ("cat" is the whole cat, not its face)
        out.setdefault(name, (char, kind))
    return out


@functools.lru_cache(maxsize=1)
def _words() -> dict[str, tuple[str, bool]]:
    """Every singular and plural form -> (name, is_plural), for emoji names and stand-ins."""
    out: dict[str, tuple[str, bool]] = {}
    for name in [*STAND_INS, *_index()]:
        out.setdefault(name, (name, False))
        out.setdefault(plural(name), (name, True))
    return out


def lookup(word: str) -> tuple[str, bool] | None:
    """``(name, is_plural)`` for a word (or two) that names an emoji or a stand-in, else None.

    Examples
    --------
    >>> lookup("owls"), lookup("red panda"), lookup("orange"), lookup("a")
    (('owl', True), ('red panda', False), None, None)
    """
    hit = _words().get(word)
    if hit is None:
        return None
    return hit if entry(hit[0]) is not None else None


def emoji_names() -> list[str]:
    """Every noun drawn from an emoji, sorted (the font's coverage is checked when one is first drawn)."""
    return sorted(_index())


@functools.lru_cache(maxsize=4096)
def entry(name: str) -> Entry | None:
    """How to draw the noun ``name`` (an emoji name or a stand-in), or None when it cannot be drawn here."""
    if name in STAND_INS:
        target, colour = STAND_INS[name]
        if ord(target[0]) > 0x2000:  # a character
            label = _label(target)
            base = Entry("" if label == name else label, target, "ground", 0.3)
        else:
            found = entry(target)
            if found is None:
                return None
            base = found
        if not openmoji.has_glyph(base.char):
            return None
        return Entry(name, base.char, base.place, base.height, colour, base.name, base.emissive)
    hit = _index().get(name)
    if hit is None or not openmoji.has_glyph(hit[0]):
        return None
    char, kind = hit
    place, height = _KIND_LOOK[kind]
    over_place, over_height = _LOOK.get(name, ("", 0.0))
    return Entry(name, char, over_place or place, over_height or height, emissive=name in _EMISSIVE)

"""Drawable nouns: simple, recognisable pictures made of PIL ImageDraw primitives.

Each noun is drawn in its own unit box (x in ``0..aspect``, y in ``0..1``, y = 1 is where it touches
the ground) on a supersampled RGBA tile, then reduced, so edges are anti-aliased while only the
tile's pixels are paid for. :func:`render_noun` returns that tile; :mod:`.scene` and the "add a ..."
edit place it.

The drawing kit is in :mod:`.pen`; the drawers are grouped in :mod:`.creatures` (animals and figures),
:mod:`.nature` (sky and land) and :mod:`.objects` (made things). This module is the vocabulary:
:data:`NOUNS`, :data:`WORD_TO_NOUN` and :func:`render_noun`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from . import lexicon, openmoji
from .creatures import (
    draw_bird,
    draw_butterfly,
    draw_cat,
    draw_dog,
    draw_fish,
    draw_person,
    draw_robot,
    draw_snowman,
)
from .nature import (
    draw_cloud,
    draw_flower,
    draw_moon,
    draw_mountain,
    draw_planet,
    draw_star,
    draw_sun,
    draw_tree,
)
from .objects import (
    draw_apple,
    draw_ball,
    draw_balloon,
    draw_banana,
    draw_boat,
    draw_cake,
    draw_car,
    draw_castle,
    draw_cup,
    draw_hat,
    draw_heart,
    draw_house,
    draw_lighthouse,
    draw_plane,
    draw_rocket,
    draw_umbrella,
)
from .palette import RGB
from .pen import MARGIN, SUPERSAMPLE, Ctx, Drawer, Pen

__all__ = ["NOUNS", "SUPERSAMPLE", "WORD_TO_NOUN", "Ctx", "Noun", "Pen", "drawable_names", "lookup_word", "noun",
           "render_noun"]


@dataclass(frozen=True)
class Noun:
    """How to draw and place one drawable noun: hand-drawn (``draw``) or an OpenMoji emoji (``glyph``)."""

    name: str
    draw: Drawer | None
    aspect: float  # width / height of its unit box
    height: float  # height as a fraction of the image height (before depth scaling)
    place: str  # "ground", "sky", "small" (table-top sized), "water", "backdrop"
    words: tuple[str, ...] = ()  # synonyms, singular (plurals are derived)
    glyph: str = ""  # the emoji drawn instead of ``draw`` (see toolkit.simulator.openmoji)
    tint: RGB | None = None  # a stand-in's colour, used when the prompt names none
    stand_in: str = ""  # what is drawn instead of the noun asked for ("raccoon" for "red panda"), if anything
    emissive: bool = False  # an emoji that glows at night (fire, candles)

    @property
    def artwork(self) -> str:
        """Where the picture comes from: "hand-drawn" or "OpenMoji"."""
        return "OpenMoji" if self.glyph else "hand-drawn"


# Words whose emoji draws them better than these pictures (truck, volcano, eagle, shark, soccer ball, ...) are
# left to the emoji (see lexicon), and so are "palm tree" and "christmas tree".
NOUNS: dict[str, Noun] = {n.name: n for n in (
    Noun("cat", draw_cat, 0.9, 0.26, "ground", ("cat", "kitten", "kitty", "kitties")),
    Noun("dog", draw_dog, 1.25, 0.24, "ground", ("dog", "puppy", "puppies", "doggo", "hound")),
    Noun("house", draw_house, 1.0, 0.4, "ground", ("house", "home", "cottage", "cabin", "hut", "barn")),
    Noun("tree", draw_tree, 0.8, 0.46, "ground", ("tree", "pine", "fir", "oak", "palm", "conifer")),
    Noun("sun", draw_sun, 1.0, 0.17, "sky", ("sun",)),
    Noun("moon", draw_moon, 1.0, 0.13, "sky", ("moon", "crescent")),
    Noun("star", draw_star, 1.0, 0.08, "sky", ("star",)),
    Noun("car", draw_car, 2.0, 0.15, "ground", ("car", "taxi", "automobile", "vehicle", "jeep")),
    Noun("banana", draw_banana, 1.6, 0.11, "small", ("banana", "plantain")),
    Noun("cup", draw_cup, 1.1, 0.13, "small", ("cup", "coffee", "mug", "tea", "latte", "cappuccino", "espresso")),
    Noun("mountain", draw_mountain, 1.8, 0.42, "backdrop", ("mountain", "peak", "alps")),
    Noun("flower", draw_flower, 0.6, 0.16, "ground", ("flower", "rose", "tulip", "daisy", "blossom")),
    Noun("person", draw_person, 0.56, 0.32, "ground", (
        "person", "people", "woman", "women", "man", "men", "girl", "boy", "child", "kid", "lady", "guy",
        "chef", "friend", "mother", "father", "queen", "king", "princess", "prince", "wizard", "farmer")),
    Noun("bird", draw_bird, 1.0, 0.045, "sky", ("bird", "seagull", "gull", "crow", "pigeon")),
    Noun("fish", draw_fish, 1.6, 0.08, "water", ("fish", "goldfish", "salmon")),
    Noun("boat", draw_boat, 1.4, 0.2, "water", ("boat", "ship", "sailboat", "yacht", "canoe", "sail")),
    Noun("cloud", draw_cloud, 1.8, 0.12, "sky", ("cloud",)),
    Noun("apple", draw_apple, 1.0, 0.09, "small", ("apple",)),
    Noun("robot", draw_robot, 0.8, 0.36, "ground", ("robot", "android", "droid", "cyborg")),
    Noun("castle", draw_castle, 1.3, 0.42, "ground", ("castle", "palace", "fortress", "fort", "kingdom")),
    Noun("rocket", draw_rocket, 0.55, 0.3, "sky", ("rocket", "spaceship", "spacecraft", "shuttle")),
    Noun("heart", draw_heart, 1.0, 0.14, "sky", ("heart", "valentine")),
    Noun("balloon", draw_balloon, 0.6, 0.18, "sky", ("balloon",)),
    Noun("umbrella", draw_umbrella, 1.0, 0.26, "ground", ("umbrella", "parasol")),
    Noun("snowman", draw_snowman, 0.7, 0.3, "ground", ("snowman", "snowmen")),
    Noun("butterfly", draw_butterfly, 1.0, 0.08, "sky", ("butterfly", "butterflies", "moth")),
    Noun("cake", draw_cake, 1.0, 0.14, "small", ("cake", "cupcake", "birthday cake", "dessert")),
    Noun("hat", draw_hat, 1.2, 0.12, "small", ("hat", "top hat", "tophat")),
    Noun("ball", draw_ball, 1.0, 0.1, "small", ("ball", "beach ball")),
    Noun("plane", draw_plane, 2.0, 0.08, "sky", ("plane", "airplane", "aeroplane", "jet", "aircraft")),
    Noun("lighthouse", draw_lighthouse, 0.6, 0.44, "ground", ("lighthouse",)),
    Noun("planet", draw_planet, 1.6, 0.22, "sky", ("planet", "saturn", "jupiter")),
)}


def _plural(word: str) -> list[str]:
    if word.endswith(("s", "sh", "ch", "x")):
        return [word + "es"]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word[:-1] + "ies"]
    if word.endswith("f"):
        return [word + "s", word[:-1] + "ves"]
    if word == "man" or word.endswith("man"):
        return [word[:-3] + "men"]
    return [word + "s"]


#: word (singular or plural, lower case) -> (noun name, is_plural)
WORD_TO_NOUN: dict[str, tuple[str, bool]] = {}


for _noun in NOUNS.values():
    for _w in _noun.words:
        WORD_TO_NOUN.setdefault(_w, (_noun.name, False))
        for _pl in _plural(_w):
            WORD_TO_NOUN.setdefault(_pl, (_noun.name, True))


# Irregular plurals listed as synonyms above are still plurals.
for _w in ("people", "women", "men", "puppies", "kitties", "butterflies", "snowmen", "alps"):
    WORD_TO_NOUN[_w] = (WORD_TO_NOUN[_w][0], True)


_HAND_DRAWN_STAND_INS: dict[str, tuple[str, bool]] = {}
for _name, (_target, _tint) in lexicon.STAND_INS.items():
    if _target in NOUNS:
        _HAND_DRAWN_STAND_INS[_name] = (_name, False)
        _HAND_DRAWN_STAND_INS[lexicon.plural(_name)] = (_name, True)


def lookup_word(word: str) -> tuple[str, bool] | None:
    """``(noun name, is_plural)`` for a prompt word (or two words), or None when nothing draws it.

    The hand-drawn nouns come first, then the stand-ins drawn by hand ("knight" is a person in grey), then
    the emoji names and their stand-ins (:mod:`.lexicon`). A two-word emoji name whose last word is a
    hand-drawn noun ("full moon", "racing car") is left to the hand-drawn noun, except a few
    (:data:`.lexicon.BIGRAMS_OVER_HAND_DRAWN`: "palm tree", "hot dog", ...).

    Examples
    --------
    >>> lookup_word("kittens"), lookup_word("owl"), lookup_word("full moon"), lookup_word("palm tree")
    (('cat', True), ('owl', False), None, ('palm tree', False))
    """
    hit = WORD_TO_NOUN.get(word) or _HAND_DRAWN_STAND_INS.get(word)
    if hit is not None:
        return hit
    if " " in word and word.rpartition(" ")[2] in WORD_TO_NOUN and word not in lexicon.BIGRAMS_OVER_HAND_DRAWN:
        return None
    return lexicon.lookup(word)


def noun(name: str) -> Noun:
    """The :class:`Noun` called ``name``: hand-drawn, or built from an emoji or a stand-in (KeyError if none)."""
    found = NOUNS.get(name)
    return found if found is not None else _built(name)


@functools.lru_cache(maxsize=4096)
def _built(name: str) -> Noun:
    stand_in = lexicon.STAND_INS.get(name)
    if stand_in is not None and stand_in[0] in NOUNS:
        return replace(NOUNS[stand_in[0]], name=name, words=(), tint=stand_in[1], stand_in=stand_in[0])
    e = lexicon.entry(name)
    if e is None:
        raise KeyError(f"nothing draws {name!r}")
    return Noun(name, None, openmoji.glyph_aspect(e.char), e.height, e.place, (), e.char, e.tint, e.stand_in,
                e.emissive)


def render_noun(name: str, height_px: float, colour: RGB | None, rng: np.random.Generator, ctx: Ctx,
                ambient: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> tuple[Image.Image, int, int]:
    """Draw one noun as an anti-aliased RGBA tile.

    Parameters
    ----------
    name : str
        A noun name (:func:`noun`): hand-drawn, an emoji name or a stand-in.
    height_px : float
        Height of the unit box in output pixels.
    colour, rng, ctx, ambient
        Main colour (None for the noun's own), variation source, scene facts, ambient light.

    Returns
    -------
    (tile, ox, oy)
        The tile and the offset, in pixels, of the unit box's top-left corner inside it.
    """
    found = noun(name)
    colour = colour or found.tint
    s = max(4.0, float(height_px))
    if found.draw is None:
        light = (1.0, 1.0, 1.0) if found.emissive else ambient
        return openmoji.glyph_tile(found.glyph, s, colour, light, shadow=found.place in ("ground", "small"),
                                   margin=MARGIN)
    k = s * SUPERSAMPLE
    w = math.ceil((found.aspect + 2 * MARGIN) * s) * SUPERSAMPLE
    h = math.ceil((1 + 2 * MARGIN) * s) * SUPERSAMPLE
    tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    found.draw(Pen(tile, k, ambient), colour, rng, ctx)
    tile = tile.reduce(SUPERSAMPLE)
    off = round(MARGIN * s)
    return tile, off, off


def drawable_names() -> list[str]:
    """Names of the hand-drawn nouns, in vocabulary order (emoji nouns: :func:`.lexicon.emoji_names`)."""
    return list(NOUNS)

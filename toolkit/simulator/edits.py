"""The edit vocabulary: plain-language instructions mapped to classical image operations.

An instruction is searched (case-insensitively) for every trigger in :data:`EDITS`; matches that overlap
a more specific one are dropped ("blur the background" is not also "blur"), and the rest are applied in
the order they appear, so "make it black and white and add a vignette" does both. ``add a <noun>``
draws any noun the scene module knows (the hand-drawn ones of :data:`toolkit.simulator.shapes.NOUNS`, every
emoji name and the stand-ins of :mod:`.lexicon`). The operations themselves live in :mod:`.operations`.

**Local edits need a place.** "remove ..." and "change the colour of ... to <colour>" act on the thing at
a hotspot or in a region named in the instruction (the Editor's click phrase, "at pixel (x, y)" or
"in the region (x0, y0, x1, y1)"; see :mod:`.local`); "add a ..." puts the noun there. Without a place they
are reported in :attr:`Parsed.unplaced` and not done.

Known limits: negation is not understood ("don't blur" blurs), and the subject of a global edit is
assumed to be in the middle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from . import local, operations, shapes
from .palette import COLOURS

__all__ = [
    "ADD_EDIT",
    "EDITS",
    "EDIT_VOCABULARY",
    "Edit",
    "Op",
    "Parsed",
    "apply_edits",
    "not_simulated_reason",
    "parse_instruction",
]


EditFn = Callable[[Image.Image, "Op", np.random.Generator], Image.Image]


@dataclass(frozen=True)
class Edit:
    """One vocabulary entry."""

    key: str
    phrase: str  # the trigger phrase shown to users
    description: str
    pattern: str  # regex, matched case-insensitively between word boundaries
    fn: EditFn
    priority: int = 0  # higher wins when matches overlap


@dataclass(frozen=True)
class Op:
    """An edit found in an instruction, with the text that triggered it and parsed arguments."""

    edit: Edit
    text: str
    start: int
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How the reply text names this operation ("rotate 90° clockwise", "add moon", ...)."""
        return str(self.args.get("label", self.edit.key))


@dataclass(frozen=True)
class Parsed:
    """What :func:`parse_instruction` found.

    ``unplaced`` lists local edits asked for without a place (``"remove"``, ``"recolour"``): they are
    not in ``ops``.
    """

    ops: tuple[Op, ...]
    unknown_nouns: tuple[str, ...] = ()
    place: local.Place | None = None
    unplaced: tuple[str, ...] = ()


_IMG = r"(?:\s+(?:it|this|the\s+(?:image|photo|picture|pic)))?"

# Recolouring names a plain colour ("golden" is light: "a golden sunset"), followed by the end of the clause;
# "black and white" is the grayscale edit.
_RECOLOUR_WORDS = "|".join(sorted((c for c in COLOURS if c not in ("golden", "gold")), key=len, reverse=True))
_COLOUR_END = (r"(?!\s*(?:and|&|n)\s*white)(?=\s*(?:$|[.,;:!?()]|(?:and|with|but|please|instead|while|keep|so|"
               r"colou?r|tone|shade|hue|paint)\b))")


EDITS: tuple[Edit, ...] = (
    Edit("black and white", "black and white", "grayscale (also: greyscale, monochrome, desaturate)",
         r"black[\s-]*(?:and|&|n)[\s-]*white|b\s?&\s?w|gr[ae]y[\s-]?scale|monochrome|desaturat\w*|no\s+colou?rs?|colou?rless",
         operations.grayscale, 5),
    Edit("sepia", "sepia", "brown-toned old print (also: vintage, old photo, antique, retro)",
         r"sepia|vintage|old[\s-](?:photo\w*|picture|film|timey|fashioned|time)|antique|retro", operations.sepia, 4),
    Edit("blur the background", "blur the background",
         "keeps a central ellipse sharp and blurs the rest (also: bokeh, portrait mode, depth of field)",
         r"blur\w*(?:\s+out)?\s+(?:the\s+|its\s+)?(?:back\s?ground|bg)|back\s?ground\s+blur\w*|bokeh|portrait\s+mode|"
         r"(?:shallow\s+)?depth\s+of\s+field", operations.blur_background, 9),
    Edit("blur", "blur", "Gaussian blur (also: soften, out of focus)", r"blur\w*|soften|out\s+of\s+focus|defocus\w*",
         operations.blur, 1),
    Edit("sharpen", "sharpen", "unsharp mask (also: sharper, crisper, more detail)",
         r"sharpen\w*|sharper|crisp(?:er|en)?|more\s+detail(?:ed)?|enhance\s+(?:the\s+)?details?|unblur|deblur", operations.sharpen, 2),
    Edit("brighter", "brighter", "lifts mid-tones (also: brighten, lighten, more light)",
         r"bright(?:er|en\w*)|lighten\w*|lighter|more\s+light|(?:increase|raise|boost)\s+(?:the\s+)?(?:brightness|exposure)|"
         r"over-?expose\w*|less\s+dark", operations.brighter, 2),
    Edit("darker", "darker", "deepens mid-tones (also: darken, dim, moody)",
         r"dark(?:er|en\w*)|dimmer|dim|(?:decrease|lower|reduce)\s+(?:the\s+)?(?:brightness|exposure)|under-?expose\w*|"
         r"less\s+bright|mood(?:y|ier)", operations.darker, 2),
    Edit("more contrast", "more contrast", "stretches tones (also: increase contrast, punchy)",
         r"(?:more|increase\w*|boost\w*|higher|add|stronger|high)\s+(?:the\s+)?contrast|contrast(?:y|ier)?|punch(?:y|ier)",
         operations.contrast, 2),
    Edit("less contrast", "less contrast", "flattens tones (also: lower contrast, faded, washed out)",
         r"(?:less|lower|reduce\w*|decrease\w*|softer|low)\s+(?:the\s+)?contrast|faded|washed[\s-]out|matte", operations.less_contrast, 4),
    Edit("colorize", "colorize", "colours a grayscale photo with natural tones (also: colourise, add colour)",
         # "Colorize this old photo": the object phrase belongs to colourise, so "old photo" is not also sepia.
         r"colou?ri[sz]\w*(?:\s+(?:this|the|my|an?)\s+(?:old\s+)?(?:black[\s-]and[\s-]white\s+)?(?:photo\w*|picture|image|pic))?|"
         r"add\s+colou?rs?|in\s+colou?r|restore\s+(?:the\s+)?colou?rs?|full\s+colou?r|colou?r\s+it", operations.colourise, 6),
    Edit("more saturated", "more saturated", "richer colours (also: vivid, vibrant, more colourful)",
         r"(?:more\s+)?saturat\w*|vivid|vibrant|more\s+colou?rful|boost\s+(?:the\s+)?colou?rs?", operations.saturate, 3),
    Edit("warmer", "warmer", "warmer white balance (also: warm tones, cosier)", r"warm\w*|cos(?:y|ier)|coz(?:y|ier)",
         operations.warm, 2),
    Edit("cooler", "cooler", "cooler white balance (also: cold, icy, bluer)",
         r"cool(?:er)?|cold(?:er)?|icy|chilly|blu(?:er|ish)\s*(?:tint|tone)?|blue\s+(?:tint|tone)", operations.cool, 2),
    Edit("rotate", "rotate 90 / 180 / 270 / left / right", "quarter or half turn (default 90° clockwise)",
         r"rotat\w*(?:\s+(?:it|this|the\s+(?:image|photo|picture)))?(?:\s+(?:by\s+)?(?:90|180|270)(?:\s*(?:degrees?|°))?)?"
         r"(?:\s+(?:to\s+the\s+)?(?:left|right|clockwise|counter-?clockwise|anti-?clockwise|ccw|cw|upside[\s-]down))?|"
         r"turn" + _IMG + r"\s+(?:(?:90|180|270)(?:\s*(?:degrees?|°))?|(?:to\s+the\s+)?(?:left|right)|sideways|"
         r"clockwise|counter-?clockwise)|quarter\s+turn", operations.rotate, 8),
    Edit("flip vertically", "flip vertically", "top-to-bottom flip (also: upside down)",
         r"flip\w*" + _IMG + r"\s+(?:vertically|upside\s+down|top\s+to\s+bottom)|vertical(?:ly)?\s+flip\w*|upside[\s-]down",
         operations.flip, 7),
    Edit("mirror", "mirror", "left-right flip (also: flip horizontally, flip)",
         r"mirror\w*|flip\w*" + _IMG + r"(?:\s+(?:horizontally|left\s+to\s+right|sideways))?|horizontal(?:ly)?\s+flip\w*",
         operations.mirror, 5),
    Edit("crop", "crop to 16:9 / square crop", "centred crop to a ratio (or the centre 80%)",
         r"crop\w*(?:" + _IMG + r"(?:\s+(?:to|into|as|at|in))?(?:\s+(?:an?|the))?\s+(?:\d+\s*[:x/]\s*\d+|square|portrait|"
         r"landscape|widescreen|panoram\w*|instagram|story))?(?:\s+(?:crop|aspect(?:\s+ratio)?|format|ratio))?|"
         r"(?:square|\d+\s*:\s*\d+)\s+crop|make" + _IMG + r"\s+square", operations.crop, 6),
    Edit("zoom in", "zoom in", "centre crop by 1.4x, same size (also: closer, close-up)",
         r"zoom(?:ed)?\s+in|closer|close[\s-]?up|enlarge|magnify", operations.zoom, 3),
    Edit("pixelate", "pixelate", "big square pixels (also: pixel art, 8-bit, mosaic)",
         r"pixel(?:ate\w*|i[sz]e\w*|\s+art|ated)|8[\s-]?bit|mosaic|censor\w*", operations.pixelate, 3),
    Edit("posterize", "posterize", "4 levels per channel (also: poster effect, pop art)",
         r"posteri[sz]\w*|poster(?:\s+effect|\s+look)?|flat\s+colou?rs|fewer\s+colou?rs|pop\s+art", operations.posterize, 3),
    Edit("cartoon", "cartoon", "flat colours with dark outlines (also: comic, cel shaded, anime)",
         r"cartoon\w*|comic\w*|cel[\s-]shad\w*|toon\w*|anime|manga", operations.cartoon, 3),
    Edit("painting", "painting", "soft painterly brushwork (also: oil painting, watercolour)",
         r"(?:oil\s+|watercolou?r\s+)?painting|painterly|watercolou?r|impressionis\w*|paint\s+it", operations.painting, 3),
    Edit("sketch", "sketch", "pencil drawing from the edges (also: pencil, line art, charcoal)",
         r"sketch\w*|pencil\w*|drawing|line\s+art|charcoal|hand[\s-]drawn", operations.sketch, 3),
    Edit("night time", "night time", "darkens and tints blue (also: at night, moonlight)",
         r"night[\s-]?time|(?:at|by|into|to)\s+night|make\s+it\s+night|night|midnight|moonlit|moonlight|after\s+dark",
         operations.night, 3),
    Edit("sunset", "sunset", "warm orange-to-violet light from above (also: golden hour, dusk)",
         r"sun\s?set|golden[\s-]hour|sun\s?rise|dusk|evening\s+light|warm\s+glow", operations.sunset, 5),
    Edit("invert", "invert", "negative image (also: negative, inverse colours)", r"invert\w*|negative|inverse", operations.invert, 3),
    Edit("vignette", "vignette", "darkens the corners (also: darken the edges)",
         r"vignett\w*|dark(?:en|er)?\s+(?:the\s+)?(?:edges|corners|borders)", operations.vignette, 8),
    Edit("remove the background", "remove the background",
         "white background behind the subject (also: cut out, isolate the subject)",
         r"(?:remove|delete|erase|drop)\s+(?:the\s+)?back\s?ground|no\s+back\s?ground|white\s+back\s?ground|"
         r"transparent\s+back\s?ground|cut[\s-]?out|isolate\s+(?:the\s+)?subject", operations.remove_background, 9),
    Edit("film grain", "film grain", "adds fine noise (also: grain, grainy, noisy)",
         r"(?:film\s+)?grain\w*|(?:add\s+)?noise|noisy|analog(?:ue)?\s+film", operations.grain, 3),
    Edit("denoise", "denoise", "median filter (also: remove noise, clean up)",
         r"de-?nois\w*|(?:remove|reduce)\s+(?:the\s+)?(?:noise|grain)|smooth(?:en)?\s+(?:the\s+)?skin|clean\s+(?:it\s+)?up",
         operations.denoise, 6),
    Edit("snow", "snow", "falling snow and a colder, lighter look (also: snowy, winter)",
         r"snow\w*|blizzard|winter\w*", operations.snow, 3),
    Edit("rain", "rain", "rain streaks and a grey-blue cast (also: rainy, storm)", r"rain\w*|drizzl\w*|storm\w*", operations.rain, 3),
    Edit("fog", "fog", "misty haze, thicker towards the top (also: mist, haze)", r"fog\w*|mist\w*|haze|hazy", operations.fog, 3),
    Edit("remove", "remove <thing> at a hotspot or region",
         "finds the thing at the Editor's click (or fills the region) and inpaints it from its surroundings; "
         "needs a place (also: erase, delete, get rid of)",
         r"remove|erase|delete|get\s+rid\s+of|take\s+(?:out|away)|clean\s+(?:off|away)|wipe\s+(?:off|away)|eliminate",
         local.remove, 5),
    Edit("recolour", "change the colour of <thing> to <colour> at a hotspot or region",
         "recolours the thing at the Editor's click (or the region), keeping its shading; needs a place",
         rf"(?:change|turn|make|paint|recolou?r|colou?r)\s+(?:the\s+colou?r\s+of\s+)?(?:[\w'-]+\s+){{0,5}}?"
         rf"(?:to|into|in)\s+(?:an?\s+)?(?:(?:light|pale|dark|deep|bright)\s+)?(?:{_RECOLOUR_WORDS})\b{_COLOUR_END}|"
         rf"recolou?r\w*(?:\s+[\w'-]+){{0,5}}?\s+(?:{_RECOLOUR_WORDS})\b{_COLOUR_END}|"
         rf"(?:make|paint|turn)\s+(?:it|this|that|(?:the|this|that|its|his|her)\s+[\w'-]+)\s+(?:{_RECOLOUR_WORDS})\b{_COLOUR_END}",
         local.recolour, 7),
)


ADD_EDIT = Edit("add", "add a <noun>",
                f"draws one of {len(shapes.NOUNS)} hand-drawn nouns ({', '.join(list(shapes.NOUNS)[:10])}, ...) or any "
                f"noun with an emoji (OpenMoji artwork: owl, fox, horse, guitar, ...); at a hotspot when one is given",
                r"(?:add|put|(?<!in\s)place|draw|insert|include|paint\s+in)", operations.add, 10)


#: ``(trigger phrase, what it does)`` for every instruction the offline simulator understands.
EDIT_VOCABULARY: tuple[tuple[str, str], ...] = (
    *((e.phrase, e.description) for e in EDITS),
    (ADD_EDIT.phrase, ADD_EDIT.description),
)


_COMPILED = [(e, re.compile(rf"\b(?:{e.pattern})(?!\w)", re.IGNORECASE)) for e in EDITS]


_ADD_RE = re.compile(rf"\b{ADD_EDIT.pattern}\b", re.IGNORECASE)


_FILLER = {"a", "an", "the", "some", "more", "little", "small", "big", "large", "tiny", "cute", "new", "another",
           "one", "two", "three", "four", "five", "six", "of", "in", "on", "with", "to", "it", "this", "few",
           "couple", "pair", "bright", "dark", "light", "pale", "giant", "huge", "funny", "nice", "fancy"}


_COUNTS = {"a": 1, "an": 1, "one": 1, "another": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "pair": 2,
           "couple": 2, "some": 3, "few": 3}


def parse_instruction(text: str, size: tuple[int, int] | None = None) -> Parsed:
    """Find every vocabulary edit in ``text``.

    Parameters
    ----------
    text : str
        A plain-language instruction, e.g. ``"Make it black and white and add a vignette"``.
    size : (int, int), optional
        The input image's size, to place pixel coordinates given without one ("at pixel (120, 80)").

    Returns
    -------
    Parsed
        The edits in the order they appear (overlapping weaker matches dropped), nouns after "add ..."
        that the simulator cannot draw, the place named (hotspot or region) and local edits that needed one.

    Examples
    --------
    >>> [op.edit.key for op in parse_instruction("Make it black and white and add a vignette").ops]
    ['black and white', 'vignette']
    >>> parse_instruction("Remove the stain").unplaced
    ('remove',)
    """
    place, span = local.find_place(text, size)
    text = local.strip_place(text, span)  # "(x=120, y=80) of the 451x300 image" triggers nothing else
    found: list[tuple[int, int, Op]] = []
    claimed: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(a < y and x < b for x, y in claimed)

    for edit, rx in sorted(_COMPILED, key=lambda p: -p[0].priority):
        for m in rx.finditer(text):
            if m.end() > m.start() and free(m.start(), m.end()):
                claimed.append((m.start(), m.end()))
                found.append((m.start(), m.end(), Op(edit, m.group(0), m.start(), {})))
    unknown: list[str] = []
    for m in _ADD_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        rest = text[m.end():]
        words = [(w.start(), w.group(0).lower()) for w in re.finditer(r"[A-Za-z]+|\d+", rest)][:6]
        colour = None
        count = 1
        for k, (pos, word) in enumerate(words):
            at = m.end() + pos
            if not free(at, at + len(word)):
                break  # "add a vignette": another edit owns the word
            pair = f"{word} {words[k + 1][1]}" if k + 1 < len(words) else ""
            hit = (shapes.lookup_word(pair) if pair else None) or shapes.lookup_word(word)
            if hit:
                noun, plural = hit
                if plural and count == 1:
                    count = 3
                end = at + len(word)
                claimed.append((m.start(), end))
                found.append((m.start(), end, Op(ADD_EDIT, text[m.start():end], m.start(),
                                                 {"noun": noun, "colour": colour, "count": min(count, 6), "word": word})))
                break
            if word in COLOURS:
                colour = COLOURS[word]
                continue
            if word.isdigit():
                count = max(1, min(int(word), 6))
                continue
            if word in _COUNTS:
                count = _COUNTS[word]
                continue
            if word in _FILLER:
                continue
            unknown.append(word)
            break
    found.sort(key=lambda t: t[0])
    ops: list[Op] = []
    unplaced: list[str] = []
    for _, _, op in found:
        # "golden hour sunset" is one sunset; only turns and additions may repeat.
        if op.edit.key not in ("add", "rotate") and any(o.edit.key == op.edit.key for o in ops):
            continue
        if op.edit.key in ("remove", "recolour"):
            if place is None:
                unplaced.append(op.edit.key)
                continue
            op.args["place"] = place
        elif op.edit.key == "add" and place is not None and place.point is not None:
            op.args["place"] = place
        ops.append(op)
    return Parsed(tuple(ops), tuple(dict.fromkeys(unknown)), place, tuple(dict.fromkeys(unplaced)))


def apply_edits(img: Image.Image, ops: tuple[Op, ...] | list[Op], rng: np.random.Generator) -> tuple[Image.Image, list[str]]:
    """Apply ``ops`` in order to an RGB image; returns the result and a label per operation."""
    labels = []
    for op in ops:
        img = op.edit.fn(img, op, rng)
        if img.mode != "RGB":
            img = img.convert("RGB")
        labels.append(op.label)
    return img, labels


def not_simulated_reason(instruction: str, parsed: Parsed) -> str:
    """What of ``instruction`` the simulator could not do, in a few words (for the banner and the reason).

    Examples
    --------
    >>> not_simulated_reason("Remove the stain", parse_instruction("Remove the stain"))
    "'remove' needs a place: click the image or name a region"
    >>> not_simulated_reason("What is the area?", parse_instruction("What is the area?"))
    'answering a question about the image'
    """
    parts = []
    for key in parsed.unplaced:
        parts.append(f"'{key}' needs a place: click the image or name a region")
    if parsed.unknown_nouns:
        parts.append(f"cannot draw {', '.join(repr(n) for n in parsed.unknown_nouns)}")
    if not parts:
        if "?" in instruction:
            return "answering a question about the image"
        shown = " ".join(instruction.split())
        shown = shown if len(shown) <= 60 else shown[:57].rstrip() + "..."
        return f"{shown!r} is outside the offline vocabulary"
    return "; ".join(parts)

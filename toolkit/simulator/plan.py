"""Reading a prompt: which drawable nouns, how many, in which colours, where, when and in what weather."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import shapes
from .palette import COLOURS, RGB, find_time, find_weather, shade, tokens

__all__ = ["INDOOR", "SETTING_WORDS", "Plan", "Subject", "parse_prompt"]


#: Setting phrases, most specific first, and the setting they select.
SETTING_WORDS: tuple[tuple[str, str], ...] = (
    (r"under ?water|under the sea|aquarium|coral reef|reef|seabed|ocean floor", "underwater"),
    (r"outer space|space|galaxy|cosmos|universe|nebula|orbit", "space"),
    (r"restaurants?|bistro|caf[eé]s?|diner|dining room|bar|pub|brasserie|dinner", "restaurant"),
    (r"kitchen", "kitchen"),
    (r"bedroom|living room|room|office|studio|library|indoors?|inside|interior|home office", "room"),
    (r"beach|seaside|coast|shore|tropical|island", "beach"),
    (r"ocean|sea|lake|river|pond|harbou?r|bay|waterfront", "water"),
    (r"desert|dunes?|sahara", "desert"),
    (r"city|street|town|downtown|skyline|urban|skyscrapers?|metropolis|new york|tokyo|paris|london", "city"),
    (r"forest|woods|jungle|woodland|rainforest", "forest"),
    (r"arctic|antarctic|tundra|glacier|ski slope", "snowfield"),
    (r"field|meadow|garden|park|farm|countryside|hills?|grass\w*|valley", "meadow"),
)

#: Settings drawn as interiors (no weather, subjects on a table or the floor).
INDOOR = ("restaurant", "kitchen", "room")

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "pair": 2,
            "couple": 2, "several": 3, "many": 5, "lots": 5, "some": 3, "few": 3}
_SOFT = {"and", "big", "small", "little", "tiny", "giant", "huge", "cute", "fluffy", "fancy", "happy", "old",
         "young", "shiny", "bright", "dark", "light", "pale", "tall", "of", "the", "my", "your", "our", "with",
         "beautiful", "lovely", "large", "adorable", "sleepy", "wooden", "colorful", "colourful", "deep"}
_MAX_PER_NOUN = 6
_MAX_INSTANCES = 12


@dataclass(frozen=True)
class Subject:
    """One drawable noun found in the prompt."""

    noun: str
    count: int
    colours: tuple[RGB, ...]  # explicit colours from adjacent words ("red car"), cycled over copies
    word: str  # the word used ("kitten", "woman", ...)


@dataclass(frozen=True)
class Plan:
    """What the prompt asks for, as far as the simulator can draw it."""

    subjects: tuple[Subject, ...]
    setting: str | None
    time: str | None
    weather: tuple[str, ...]
    colours: tuple[RGB, ...]  # every colour word, in order
    free_colours: tuple[RGB, ...]  # colour words not attached to a subject or the setting
    setting_colour: RGB | None = None
    colour_words: tuple[str, ...] = ()
    abstract: bool = False  # nothing drawable, no setting, but colours or "abstract" asked for
    full_moon: bool = False

    def summary(self) -> list[str]:
        """Words for the reply text: subjects (with counts), then setting and weather."""
        out = []
        for s in self.subjects:
            out.append(s.noun if s.count == 1 else f"{s.count} {s.noun}s")
        if self.setting:
            out.append(self.setting)
        out.extend(self.weather)
        return out


def _adjective_colours(toks: list[str], i: int, noun: str | None = None
                       ) -> tuple[tuple[RGB, ...], int | None, list[int]]:
    """Colours and a count in the adjective run before token ``i`` ("two big red and blue balloons")."""
    colours: list[RGB] = []
    used: list[int] = []
    count = None
    j = i - 1
    while j >= 0 and i - j <= 5:
        t = toks[j]
        if t in COLOURS:
            c = COLOURS[t]
            if j > 0 and toks[j - 1] in ("dark", "deep"):
                c = shade(c, 0.6)
            elif j > 0 and toks[j - 1] in ("light", "pale"):
                c = shade(c, 1.45)
            colours.insert(0, c)
            used.append(j)
        elif t.isdigit():
            count = int(t)
            break
        elif t in _NUMBERS:
            count = _NUMBERS[t]
            break
        elif t not in _SOFT and (noun is None or shapes.WORD_TO_NOUN.get(t, ("",))[0] != noun):
            break
        j -= 1
    return tuple(colours), count, used


def parse_prompt(prompt: str) -> Plan:
    """Read a prompt into a :class:`Plan`.

    Parameters
    ----------
    prompt : str
        Free text, e.g. ``"Two red balloons over a castle at sunset"``.

    Returns
    -------
    Plan
        Subjects (at most six copies of each, twelve in all), setting, time of day, weather and colours.

    Examples
    --------
    >>> [s.noun for s in parse_prompt("A photo of my cat eating a nano-banana in a fancy restaurant").subjects]
    ['cat', 'banana']
    """
    low = prompt.lower()
    toks = tokens(low)
    # "golden hour" is a time, not the colour gold.
    masked = {i for i, t in enumerate(toks) if t == "golden" and i + 1 < len(toks) and toks[i + 1] == "hour"}
    subjects: dict[str, Subject] = {}
    order: list[str] = []
    used_colour_idx: set[int] = set()
    i = 0
    while i < len(toks):
        tok = toks[i]
        hit = None
        if i + 1 < len(toks) and f"{tok} {toks[i + 1]}" in shapes.WORD_TO_NOUN:
            hit, width = shapes.WORD_TO_NOUN[f"{tok} {toks[i + 1]}"], 2
        elif tok in shapes.WORD_TO_NOUN:
            hit, width = shapes.WORD_TO_NOUN[tok], 1
        if hit is None:
            i += 1
            continue
        noun, plural = hit
        nxt = shapes.WORD_TO_NOUN.get(toks[i + width]) if i + width < len(toks) else None
        if nxt is not None and nxt[0] == noun:
            i += width  # "pine trees": the head word decides (plural), the modifier is skipped
            continue
        colours, count, used = _adjective_colours(toks, i, noun)
        used_colour_idx.update(used)
        if count is None:
            count = 3 if plural else 1
        if noun in ("sun", "moon"):
            count = 1
        prev = subjects.get(noun)
        if prev is None:
            subjects[noun] = Subject(noun, min(count, _MAX_PER_NOUN), colours, tok)
            order.append(noun)
        elif colours and not prev.colours:
            subjects[noun] = Subject(noun, prev.count, colours, prev.word)
        i += width
    setting = None
    setting_colour = None
    for pattern, name in SETTING_WORDS:
        m = re.search(rf"\b(?:{pattern})\b", low)
        if m:
            setting = name
            k = len(tokens(low[: m.start()]))
            cols, _, used = _adjective_colours(toks, k)
            if cols:
                setting_colour = cols[-1]
                used_colour_idx.update(used)
            break
    all_colours = [COLOURS[t] for j, t in enumerate(toks) if t in COLOURS and j not in masked]
    free = [COLOURS[t] for j, t in enumerate(toks) if t in COLOURS and j not in masked and j not in used_colour_idx]
    total = 0
    subs = []
    for noun in order:
        s = subjects[noun]
        n = min(s.count, _MAX_INSTANCES - total)
        if n <= 0:
            break
        subs.append(Subject(s.noun, n, s.colours, s.word))
        total += n
    words = tuple(dict.fromkeys(t for j, t in enumerate(toks) if t in COLOURS and j not in masked))
    abstract = not subs and setting is None and bool(all_colours or re.search(r"\b(?:abstract|pattern|geometric|shapes)\b", low))
    return Plan(tuple(subs), setting, find_time(low), tuple(find_weather(low)), tuple(all_colours), tuple(free),
                setting_colour, words, abstract, "full moon" in low)

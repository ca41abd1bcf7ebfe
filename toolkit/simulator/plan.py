"""Reading a prompt: which drawable nouns, how many, in which colours, where, when and in what weather.

Nouns are looked up with :func:`.shapes.lookup_word`: the hand-drawn ones, then every emoji name and the
stand-ins of :mod:`.lexicon`. Positions ("on the left", "in the middle", "at the top") attach to the nearest
subject before them (or after, when none is before). A noun phrase whose head is none of these ("a quokka")
is kept in :attr:`Plan.unknown`, so the image can say it was not drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import lexicon, shapes
from .palette import COLOURS, RGB, SETTING_WORDS, find_time, find_weather, shade, tokens

__all__ = ["INDOOR", "SETTING_WORDS", "Plan", "Subject", "parse_prompt"]


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
    position: str | None = None  # "left", "right", "centre", "top" or "bottom" when the prompt says where


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
    unknown: tuple[str, ...] = ()  # subjects asked for that nothing draws ("quokka")

    def summary(self) -> list[str]:
        """Words for the reply text: subjects (with counts and positions), then setting and weather."""
        out = []
        for s in self.subjects:
            what = s.noun if s.count == 1 else f"{s.count} {lexicon.plural(s.noun)}"
            out.append(f"{what} ({s.position})" if s.position else what)
        if self.setting:
            out.append(self.setting)
        out.extend(self.weather)
        return out

    def stand_ins(self) -> list[str]:
        """How stand-ins were drawn, for the reply text ("red panda: a raccoon, tinted")."""
        out = []
        for s in self.subjects:
            noun = shapes.noun(s.noun)
            if noun.stand_in:
                tinted = ", tinted" if noun.tint is not None and not s.colours else ""
                out.append(f"{s.noun}: a {noun.stand_in}{tinted}")
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
        elif t not in _SOFT and (noun is None or (shapes.lookup_word(t) or ("",))[0] != noun):
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
    first_at: dict[str, int] = {}
    noun_at: list[tuple[int, int, str]] = []  # (first token, end token, noun) of every mention
    used_colour_idx: set[int] = set()
    i = 0
    while i < len(toks):
        tok = toks[i]
        hit = None
        pair = shapes.lookup_word(f"{tok} {toks[i + 1]}") if i + 1 < len(toks) else None
        if pair is not None:
            hit, width = pair, 2
        elif i not in masked and (single := shapes.lookup_word(tok)) is not None:
            hit, width = single, 1
        if hit is None:
            i += 1
            continue
        noun, plural = hit
        glyph = shapes.noun(noun).glyph
        noun = next((n for n in order if glyph and shapes.noun(n).glyph == glyph), noun)  # "steaming bowl of ramen"
        nxt = shapes.lookup_word(toks[i + width]) if i + width < len(toks) else None
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
            first_at[noun] = i
        elif colours and not prev.colours:
            subjects[noun] = Subject(noun, prev.count, colours, prev.word)
        noun_at.append((i, i + width, noun))
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
    masked |= {k for a, b, _ in noun_at for k in range(a, b)}  # "red panda" names an animal, not a colour
    all_colours = [COLOURS[t] for j, t in enumerate(toks) if t in COLOURS and j not in masked]
    free = [COLOURS[t] for j, t in enumerate(toks) if t in COLOURS and j not in masked and j not in used_colour_idx]
    where = _positions(toks, noun_at)
    total = 0
    subs = []
    for noun in order:
        s = subjects[noun]
        n = min(s.count, _MAX_INSTANCES - total)
        if n <= 0:
            break
        subs.append(Subject(s.noun, n, s.colours, s.word, where.get(noun)))
        total += n
    words = tuple(dict.fromkeys(t for j, t in enumerate(toks) if t in COLOURS and j not in masked))
    abstract = not subs and setting is None and bool(all_colours or re.search(r"\b(?:abstract|pattern|geometric|shapes)\b", low))
    unknown = _unknown_subjects(toks, {k for a, b, _ in noun_at for k in range(a, b)})
    return Plan(tuple(subs), setting, find_time(low), tuple(find_weather(low)), tuple(all_colours), tuple(free),
                setting_colour, words, abstract, "full moon" in low, unknown)


_POSITION_WORDS = {"left": "left", "right": "right", "middle": "centre", "centre": "centre", "center": "centre",
                   "top": "top", "bottom": "bottom", "foreground": "bottom", "background": "top"}
_POSITION_LEAD = {"on", "to", "in", "at", "the", "far", "side", "of", "upper", "lower"}


def _positions(toks: list[str], noun_at: list[tuple[int, int, str]]) -> dict[str, str]:
    """Noun -> position for phrases like "on the left" or "in the middle", given to the nearest noun before.

    A position word counts only after a lead word ("on the left", "to the right", "at the top"), so "the
    right answer" or "left behind" are not positions; "top hat" is a noun and never gets here.
    """
    out: dict[str, str] = {}
    taken = {k for a, b, _ in noun_at for k in range(a, b)}
    for j, t in enumerate(toks):
        if t not in _POSITION_WORDS or j in taken or j == 0 or toks[j - 1] not in _POSITION_LEAD:
            continue
        before = [n for a, _, n in noun_at if a < j]
        after = [n for a, _, n in noun_at if a > j]
        target = before[-1] if before else (after[0] if after else None)
        if target is not None and target not in out:
            out[target] = _POSITION_WORDS[t]
    return out


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_DETERMINERS = {"a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "some",
                "several", "many", "few", "my", "your", "our", "his", "her", "their", "this", "that", "these",
                "those", "another"}
_PHRASE_END = {"of", "in", "on", "at", "with", "and", "or", "by", "for", "from", "under", "over", "near", "next",
               "to", "into", "onto", "beside", "behind", "above", "below", "between", "is", "are", "was", "were",
               "that", "which", "who", "while", "as", "like", "against", "through", "across", "around", "during",
               "wearing", "holding", "eating", "sitting", "standing", "riding", "playing", "flying", "walking",
               "running", "looking", "made", "called", "named", "s", "t"}
_NOT_SUBJECTS = _word_set("""
photo photograph photography camera picture image pic painting drawing illustration render rendering scene view shot
portrait closeup close landscape style poster sketch day morning afternoon evening time world place background
foreground lot bit kind sort type piece bunch group couple pair variety sense feeling mood atmosphere light
lighting colour color colours colors palette texture pattern composition design logo icon version copy detail
details moment sky ground weather left right middle centre center top bottom side corner edge front back view
table desk floor wall road path lawn water surface shore horizon distance
wallpaper banner card cover frame shape shapes thing things something one set series collage diagram chart graph
map infographic text word words letter letters sign label title caption quote number numbers way angle lens
focus resolution quality cinematic realistic photorealistic hyperrealistic minimalist abstract vibrant
beautiful lovely cozy cosy cute big small little large tiny huge giant old new young happy sad
""")


def _unknown_subjects(toks: list[str], drawn: set[int]) -> tuple[str, ...]:
    """Heads of noun phrases ("a quokka", "two sleepy wombats") that nothing draws, at most three.

    A phrase starts after a determiner and runs until a preposition, a verb-like word or four words; its head
    is its last word. Phrases containing a drawn noun, a setting, a time, weather or a colour are skipped, as
    are generic words ("photo", "scene", "style").
    """
    found: list[str] = []
    for i, t in enumerate(toks):
        if t not in _DETERMINERS:
            continue
        run: list[int] = []
        for j in range(i + 1, min(len(toks), i + 5)):
            if toks[j] in _PHRASE_END or toks[j] in _DETERMINERS or toks[j].isdigit():
                break
            run.append(j)
        if not run or any(j in drawn for j in run):
            continue
        words = [toks[j] for j in run]
        if any(_is_scenery(w) for w in words):
            continue
        head = words[-1]
        if len(words) > 1 and head.endswith(("ing", "ed", "ly")):
            head = words[-2]
        if head in _NOT_SUBJECTS or head in _SOFT or head in _NUMBERS or len(head) < 3:
            continue
        found.append(head)
    return tuple(dict.fromkeys(found))[:3]


def _is_scenery(word: str) -> bool:
    if word in COLOURS or find_time(word) or find_weather(word):
        return True
    return any(re.fullmatch(p, word) for p, _ in SETTING_WORDS)

"""Colour, setting, time-of-day and weather words, and the small colour helpers the other modules share.

Everything here is plain data plus pure functions so that the prompt parser in :mod:`.scene` and the
edit vocabulary in :mod:`.edits` agree on what "gold", "sunset" or "night" mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]
Light = tuple[float, float, float]
"""An ambient light: red, green and blue multipliers for lit (non-emissive) things."""


def rgb(channels: Iterable[int]) -> RGB:
    """Three channel values (any iterable, e.g. a generator) as an :data:`RGB` tuple.

    Examples
    --------
    >>> rgb(round(c * 0.5) for c in (200, 100, 51))
    (100, 50, 26)
    """
    r, g, b = channels
    return r, g, b


def light(values: Iterable[float]) -> Light:
    """Three multipliers (any iterable) as a :data:`Light` tuple."""
    r, g, b = values
    return r, g, b


#: Colour words the simulator recognises in prompts, with the RGB it paints them in.
COLOURS: dict[str, RGB] = {
    "red": (212, 42, 42),
    "crimson": (178, 22, 52),
    "scarlet": (228, 44, 32),
    "maroon": (120, 24, 36),
    "blue": (42, 96, 212),
    "navy": (26, 42, 112),
    "indigo": (62, 48, 150),
    "cyan": (40, 198, 220),
    "teal": (22, 138, 140),
    "turquoise": (52, 198, 188),
    "green": (52, 160, 72),
    "lime": (150, 218, 52),
    "olive": (120, 130, 42),
    "yellow": (246, 210, 42),
    "gold": (226, 178, 40),
    "golden": (226, 178, 40),
    "orange": (246, 140, 32),
    "purple": (132, 62, 182),
    "violet": (150, 92, 222),
    "lavender": (182, 160, 232),
    "magenta": (210, 42, 160),
    "pink": (246, 140, 182),
    "black": (32, 32, 36),
    "white": (246, 246, 246),
    "grey": (140, 140, 146),
    "gray": (140, 140, 146),
    "silver": (192, 196, 202),
    "brown": (132, 86, 50),
    "beige": (222, 202, 160),
    "cream": (246, 236, 206),
}

_WORD = re.compile(r"[a-z]+|\d+")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` ("nano-banana" gives "nano", "banana")."""
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Sky:
    """How one time of day looks: sky gradient stops, ambient light and the sun/moon/stars."""

    name: str
    stops: tuple[tuple[float, RGB], ...]  # (0 = top of the sky, 1 = horizon) -> colour
    ambient: tuple[float, float, float]  # multiplies lit (non-emissive) things
    sun: tuple[float, RGB] | None  # (height above horizon as a fraction of the sky, colour)
    moon: bool = False
    stars: float = 0.0  # star density, 0..1


SKIES: dict[str, Sky] = {
    "day": Sky("day", ((0.0, (58, 122, 208)), (0.6, (120, 172, 230)), (1.0, (196, 222, 244))),
               (1.0, 1.0, 1.0), (0.72, (255, 246, 214))),
    "noon": Sky("noon", ((0.0, (46, 112, 206)), (0.6, (110, 166, 230)), (1.0, (190, 220, 246))),
                (1.04, 1.03, 1.0), (0.86, (255, 250, 226))),
    "sunrise": Sky("sunrise", ((0.0, (104, 128, 196)), (0.55, (222, 170, 184)), (1.0, (255, 196, 150))),
                   (1.0, 0.93, 0.88), (0.16, (255, 222, 172))),
    "golden hour": Sky("golden hour", ((0.0, (84, 126, 198)), (0.5, (214, 180, 150)), (1.0, (255, 204, 118))),
                       (1.06, 0.94, 0.76), (0.3, (255, 214, 128))),
    "sunset": Sky("sunset", ((0.0, (52, 46, 116)), (0.45, (210, 86, 98)), (0.8, (250, 146, 84)),
                             (1.0, (255, 190, 104))),
                  (0.95, 0.76, 0.68), (0.1, (255, 196, 110))),
    "dusk": Sky("dusk", ((0.0, (26, 28, 76)), (0.6, (104, 76, 132)), (1.0, (196, 118, 138))),
                (0.6, 0.56, 0.74), None, moon=False, stars=0.25),
    "night": Sky("night", ((0.0, (4, 8, 26)), (0.7, (14, 26, 62)), (1.0, (34, 50, 96))),
                 (0.34, 0.4, 0.6), None, moon=True, stars=1.0),
}

#: Phrases that select a time of day, most specific first (the first that matches wins).
TIME_WORDS: tuple[tuple[str, str], ...] = (
    (r"golden[ -]hour", "golden hour"),
    (r"sun ?set|sundown|evening", "sunset"),
    (r"sun ?rise|dawn|daybreak|early morning|morning", "sunrise"),
    (r"dusk|twilight|blue hour", "dusk"),
    (r"night\w*|midnight|starry|moonlit|moonlight|after dark|in the dark", "night"),
    (r"noon|midday", "noon"),
    (r"daytime|day ?light|sunny|day", "day"),
)

#: Weather words -> weather name.
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

WEATHER_WORDS: tuple[tuple[str, str], ...] = (
    (r"snow\w*|blizzard|winter\w*", "snow"),
    (r"rain\w*|drizzle|downpour|shower", "rain"),
    (r"storm\w*|thunder\w*|lightning", "storm"),
    (r"fog\w*|mist\w*|haze|hazy", "fog"),
    (r"cloudy|overcast|clouds", "cloudy"),
)


def find_time(text: str) -> str | None:
    """The time of day named in ``text`` ("night", "sunset", ...), or None when none is named."""
    low = text.lower()
    for pattern, name in TIME_WORDS:
        if re.search(rf"\b(?:{pattern})\b", low):
            return name
    return None


def find_weather(text: str) -> list[str]:
    """Weather names found in ``text``, in vocabulary order, without repeats."""
    low = text.lower()
    return [name for pattern, name in WEATHER_WORDS if re.search(rf"\b(?:{pattern})\b", low)]


def colour_of(word: str) -> RGB | None:
    """The RGB of a colour word (``None`` when it is not one)."""
    return COLOURS.get(word)


def gradient(stops: tuple[tuple[float, RGB], ...], n: int) -> np.ndarray:
    """An ``(n, 3)`` float32 array interpolating colour ``stops`` (positions in 0..1)."""
    pos = np.array([p for p, _ in stops], dtype=np.float32)
    cols = np.array([c for _, c in stops], dtype=np.float32)
    t = np.linspace(0.0, 1.0, max(n, 1), dtype=np.float32)
    return np.stack([np.interp(t, pos, cols[:, i]) for i in range(3)], axis=1).astype(np.float32)


def shade(colour: RGB, k: float) -> RGB:
    """``colour`` scaled by ``k`` (k < 1 darker, k > 1 lighter towards white)."""
    if k <= 1.0:
        return rgb(round(c * k) for c in colour)
    t = min(k - 1.0, 1.0)
    return rgb(round(c + (255 - c) * t) for c in colour)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear mix of two colours (t = 0 gives ``a``)."""
    return rgb(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def tint(colour: RGB, ambient: tuple[float, float, float]) -> RGB:
    """``colour`` lit by an ambient multiplier, clipped to 0..255."""
    return rgb(int(min(255, max(0, round(c * a)))) for c, a in zip(colour, ambient, strict=True))


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    """Hermite step from 0 (x <= e0) to 1 (x >= e1), vectorised."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def luminance(arr: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an ``(..., 3)`` array, in the array's own scale."""
    return arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114

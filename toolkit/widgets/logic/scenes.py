"""CharacterSheet: scenes from text, the prompt for each scene, and the similarity scores per scene."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .notices import Notice

if TYPE_CHECKING:
    import pandas as pd

    from ...result import Result

CHARACTER_TEMPLATE = ("Place the character from the reference image in this scene: {scene}. "
                      "Keep their face, clothing and colours exactly the same.")
"""Default prompt template; ``{scene}`` is replaced by each scene line."""

DEFAULT_SCENES = ("walking in the snow", "at sunset on a beach", "at night under the stars", "in the rain")
"""Scenes used when none are given (the offline simulator can render each as an edit)."""

SCORE_CAVEAT = (
    "The scores compare pixels, not identity. <b>phash</b> (0-1) measures the overall layout of light and dark; "
    "<b>ssim</b> (-1-1) measures local structure at the same positions, so it drops when the character moves; "
    "<b>histogram</b> (0-1) compares the palette and ignores shapes. High scores can mean the output barely "
    "changed the reference; low scores do not prove the character changed. Use them to sort and flag, and "
    "judge likeness by eye."
)
"""What the similarity scores do and do not measure (shown under the CharacterSheet button)."""

SCORE_COLUMNS = ("scene", "status", "phash", "ssim", "histogram", "cost_usd")


def parse_scenes(text: str) -> list[str]:
    """One scene per non-empty line (bullets and numbering stripped, duplicates kept once).

    Examples
    --------
    >>> parse_scenes("- on the moon\\n\\n2. in a kitchen\\non the moon")
    ['on the moon', 'in a kitchen']
    """
    out: list[str] = []
    for line in text.splitlines():
        s = line.strip().lstrip("-*•").strip()
        head, dot, rest = s.partition(".")
        if dot and head.isdigit():
            s = rest.strip()
        if s and s not in out:
            out.append(s)
    return out


def character_prompt(scene: str, template: str = CHARACTER_TEMPLATE) -> str:
    """The generate prompt for one scene: ``template`` with ``{scene}`` filled in (or the scene appended).

    Examples
    --------
    >>> character_prompt("in a kitchen.")
    'Place the character from the reference image in this scene: in a kitchen. Keep their face, clothing and colours exactly the same.'
    """
    scene = " ".join(scene.split()).rstrip(".")
    if "{scene}" in template:
        return template.replace("{scene}", scene)
    return f"{template.rstrip()} Scene: {scene}."


def merge_scene_notices(items: Sequence[tuple[str, Notice]]) -> list[Notice]:
    """One notice per distinct problem, naming the scenes it hit (not the same long text once per scene).

    Examples
    --------
    >>> n = Notice("warning", "No image came back", "vocabulary ...")
    >>> [m.title for m in merge_scene_notices([("on the moon", n), ("in a kitchen", n)])]
    ['on the moon, in a kitchen: No image came back']
    """
    groups: dict[Notice, list[str]] = {}
    for scene, notice in items:
        groups.setdefault(notice, []).append(scene)
    return [Notice(n.kind, f"{', '.join(scenes)}: {n.title}", n.detail, n.fix) for n, scenes in groups.items()]


def score_row(scene: str, result: Result | None, reference: Any, status: str | None = None) -> dict[str, Any]:
    """One row of ``CharacterSheet.scores``: similarity of the first output to the reference (NaN without one).

    Examples
    --------
    >>> score_row("x", None, None, status="skipped")["phash"]
    nan
    """
    from ...metrics import similarity

    row: dict[str, Any] = {"scene": scene, "status": status or (result.status if result else "error"),
                           "phash": math.nan, "ssim": math.nan, "histogram": math.nan,
                           "cost_usd": result.cost_usd if result else 0.0}
    if result is not None and result.image is not None and reference is not None:
        row.update(similarity(reference, result.image))
    return row


def scores_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The scores table (columns :data:`SCORE_COLUMNS`), one row per scene.

    Examples
    --------
    >>> list(scores_frame([]).columns)
    ['scene', 'status', 'phash', 'ssim', 'histogram', 'cost_usd']
    """
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=list(SCORE_COLUMNS))
    return df.astype({"phash": float, "ssim": float, "histogram": float, "cost_usd": float})


def scores_line(row: Mapping[str, Any]) -> str:
    """The scores under a CharacterSheet card.

    Examples
    --------
    >>> scores_line({"phash": 0.5, "ssim": 0.25, "histogram": 0.75})
    'phash 0.50 · ssim 0.25 · histogram 0.75'
    """
    if any(isinstance(row.get(k), float) and math.isnan(row[k]) for k in ("phash", "ssim", "histogram")):
        return "no scores (no image)"
    return f"phash {row['phash']:.2f} · ssim {row['ssim']:.2f} · histogram {row['histogram']:.2f}"


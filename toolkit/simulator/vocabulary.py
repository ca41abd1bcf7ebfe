"""What the offline simulator can do, as one table: :func:`simulator_vocabulary`."""

from __future__ import annotations

from . import lexicon, shapes
from .core import TRIGGERS
from .edits import ADD_EDIT, EDITS

__all__ = ["simulator_vocabulary"]


def simulator_vocabulary(nouns: bool = True) -> dict[str, list[str]]:
    """Everything the offline simulator understands, as columns ready for ``pandas.DataFrame``.

    Parameters
    ----------
    nouns : bool
        Include one row per drawable noun (the 32 hand-drawn ones, about a thousand emoji names, and the
        stand-ins). ``False`` gives the edit instructions and test triggers only.

    Returns
    -------
    dict
        ``{"kind": [...], "phrase": [...], "what it does": [...]}``, one entry per row. ``kind`` is
        ``"edit"``, ``"local edit"`` (needs a hotspot or a region), ``"noun: hand-drawn"``,
        ``"noun: emoji"``, ``"noun: stand-in"`` or ``"test trigger"``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(simulator_vocabulary())
    >>> sorted(table["kind"].unique())[:3]
    ['edit', 'local edit', 'noun: emoji']
    >>> "owl" in set(table["phrase"])
    True
    """
    rows: list[tuple[str, str, str]] = []
    for e in EDITS:
        rows.append(("local edit" if e.key in ("remove", "recolour") else "edit", e.phrase, e.description))
    rows.append(("edit", ADD_EDIT.phrase, ADD_EDIT.description))
    if nouns:
        for name, noun in shapes.NOUNS.items():
            also = [w for w in noun.words if w != name]
            rows.append(("noun: hand-drawn", name, "drawn by hand" + (f" (also: {', '.join(also)})" if also else "")))
        for name in lexicon.emoji_names():
            if shapes.lookup_word(name) == (name, False):  # not shadowed by a hand-drawn word
                found = lexicon.entry(name)
                if found is not None:
                    rows.append(("noun: emoji", name, f"OpenMoji {found.char} ({found.place})"))
        for name, (target, tint) in lexicon.STAND_INS.items():
            label = target if ord(target[0]) < 0x2000 else "an emoji"
            rows.append(("noun: stand-in", name, f"drawn as {label}" + (", tinted" if tint else "")))
    for t in TRIGGERS:
        rows.append(("test trigger", t, f"the outcome the real API gives for {t[5:-1].replace('_', ' ')}"))
    return {"kind": [r[0] for r in rows], "phrase": [r[1] for r in rows], "what it does": [r[2] for r in rows]}

"""Arena: blind pairwise judging of a study's outputs, and Bradley–Terry ratings of its arms.

Two outputs of the same cell from different arms (models, prompt variants, ...) are shown unlabeled, in
random order and on random sides; the judge picks left, right or tie (or skips). Judgements are stored in
the home (``judgements.jsonl``), so ratings survive the kernel and several judges can contribute.

Nothing on screen reveals the arm: both images are shown at one fixed size (:func:`same_size`: models
return different pixel sizes), re-encoded the same way, with no file name; the caption names only the
axes the two share, and the prompt only when it is the same for both. The offline simulator's mark says
"OFFLINE SIMULATOR" without the model, so it is identical on both sides.
"""

from __future__ import annotations

import datetime as dt
import getpass
import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from PIL import Image

from .. import ratings as rt
from ..studio import Studio
from .base import App, image_view, set_image

if TYPE_CHECKING:
    import pandas as pd

    from ..compare import Study


class Arena(App):
    """Judge a study blind; ``.ratings()`` fits the arms' scores.

    Parameters
    ----------
    study : Study
        A finished comparison study (``studio.compare(...)``).
    arm : str, optional
        The axis whose values compete (default: ``model`` if it varies, else the first axis).
    judge : str, optional
        Recorded with each judgement (default: the login name).
    seed : int, optional
        Fixes the order of pairs and sides.

    Examples
    --------
    >>> study = studio.compare("A {animal} at noon", animal=["cat", "owl"],
    ...                        model=["nano-banana-2", "nano-banana-pro"], progress=False)
    >>> arena = Arena(study, arm="model", seed=0)   # in a notebook, end a cell with ``arena`` to judge
    >>> len(arena.pairs), arena.current is not None
    (2, True)
    >>> arena.choose("left").outcome, arena.position
    ('a', 1)
    >>> int(arena.ratings()["comparisons"].sum())
    2
    """

    def __init__(self, study: Study, arm: str | None = None, *, judge: str | None = None, seed: int | None = None,
                 max_side: int = 384, **kwargs: Any) -> None:
        super().__init__(Studio.from_engine(study.plan.engine), **kwargs)
        self.study = study
        self.arm = arm or rt.default_arm(study.axes)
        self.judge = judge if judge is not None else _login()
        self.max_side = max_side
        self.study_id = study.study_key
        self.pairs = rt.arena_pairs(study, self.arm, seed=seed)
        self.position = 0
        self.judged: list[rt.Judgement] = []
        self._by_key = {r.key: r for r in study.results.values()}
        self._axes_by_key = {r.key: dict(c.axes) for c in study.cells if (r := study.results.get(c.index)) is not None}
        self.left_image = image_view(None, max_side)
        self.right_image = image_view(None, max_side)
        self.left_button = widgets.Button(description="Left is better", icon="arrow-left")
        self.right_button = widgets.Button(description="Right is better", icon="arrow-right")
        self.tie_button = widgets.Button(description="Tie", icon="equals")
        self.skip_button = widgets.Button(description="Skip", icon="forward")
        self.progress = widgets.HTML()
        self.context = widgets.HTML()
        self.ratings_view = widgets.HTML()
        for button, side in ((self.left_button, "left"), (self.right_button, "right"), (self.tie_button, "tie")):
            button.on_click(lambda _b, side=side: self._guard(lambda: self.choose(side)))
        self.skip_button.on_click(lambda _b: self._guard(self.skip))
        self.children = [
            widgets.HTML(f"<b>Arena</b>: which is better? Arms of <code>{self.arm}</code> are hidden."),
            self.context,
            widgets.HBox([self.left_image, self.right_image]),
            widgets.HBox([self.left_button, self.tie_button, self.right_button, self.skip_button]),
            self.progress, self.message, self.ratings_view,
        ]
        self._show()

    @property
    def current(self) -> tuple[str, str] | None:
        """The (left key, right key) on screen, or None when every pair is done."""
        return self.pairs[self.position] if self.position < len(self.pairs) else None

    def choose(self, side: str) -> rt.Judgement:
        """Record a choice for the pair on screen: ``"left"``, ``"right"`` or ``"tie"``."""
        if side not in ("left", "right", "tie"):
            raise ValueError(f"side={side!r} must be 'left', 'right' or 'tie'.")
        pair = self.current
        if pair is None:
            raise ValueError("Every pair has been judged; see arena.ratings().")
        outcome = {"left": "a", "right": "b", "tie": "tie"}[side]
        j = rt.Judgement(pair[0], pair[1], outcome, study=self.study_id, judge=self.judge,
                         ts=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        rt.record_judgement(self.studio.store.home, j)
        self.judged.append(j)
        self.position += 1
        self._show()
        return j

    def skip(self) -> None:
        """Move to the next pair without judging."""
        if self.current is not None:
            self.position += 1
        self._show()

    def ratings(self) -> pd.DataFrame:
        """Bradley–Terry ratings of the arms from every judgement of this study in the home."""
        return rt.ratings(rt.load_judgements(self.studio.store.home, study=self.study_id),
                          rt.arm_map(self.study, self.arm))

    def _show(self) -> None:
        pair = self.current
        for b in (self.left_button, self.right_button, self.tie_button, self.skip_button):
            b.disabled = pair is None
        self.progress.value = (f'<span style="color:#555">{min(self.position + 1, len(self.pairs))} of '
                               f"{len(self.pairs)} pairs · {len(self.judged)} judged</span>")
        if pair is None:
            set_image(self.left_image, None, self.max_side)
            set_image(self.right_image, None, self.max_side)
            self.context.value = "<i>All pairs judged.</i>" if self.pairs else \
                "<i>No pairs: the study needs at least two ok outputs of the same cell from different arms.</i>"
            if self.judged:
                self.ratings_view.value = self.ratings().to_html()
            return
        left, right = self._by_key[pair[0]], self._by_key[pair[1]]
        shown = same_size(left.image, right.image, self.max_side)
        set_image(self.left_image, shown[0], self.max_side)
        set_image(self.right_image, shown[1], self.max_side)
        self.context.value = self._caption(pair)

    def _caption(self, pair: tuple[str, str]) -> str:
        """What the two outputs share: the other axes' values, and the prompt when it is the same for both."""
        left, right = self._by_key[pair[0]], self._by_key[pair[1]]
        a, b = self._axes_by_key.get(pair[0], {}), self._axes_by_key.get(pair[1], {})
        shared = [f"{k} = {a[k]}" for k in a if k != self.arm and k in b and str(a[k]) == str(b[k])]
        parts = [html.escape(", ".join(shared))] if shared else []
        if left.prompt == right.prompt:
            parts.append(f"Prompt: {html.escape(left.prompt)}")
        return f"<small>{' · '.join(parts) or 'Same cell, two arms.'}</small>"


def same_size(a: Image.Image | None, b: Image.Image | None, max_side: int) -> tuple[Image.Image | None, Image.Image | None]:
    """Both images as RGB at one size: the first's aspect ratio within ``max_side``, the second cropped to it.

    The real models (and the simulator, which copies their tables) return different pixel sizes for the
    same aspect ratio (1344 x 768 or 1376 x 768 for 16:9), which would tell the arms apart.

    Examples
    --------
    >>> x, y = same_size(Image.new("RGB", (1344, 768)), Image.new("RGB", (1376, 768)), 384)
    >>> x.size == y.size == (384, 219)
    True
    """
    if a is None or b is None:
        return a, b
    w, h = a.size
    k = max_side / max(w, h)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return _cover(a, size), _cover(b, size)


def _cover(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``img`` scaled to cover ``size`` and centre-cropped to it."""
    w, h = img.size
    tw, th = size
    scale = max(tw / w, th / h)
    cw, ch = tw / scale, th / scale
    box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
    return img.convert("RGB").resize(size, Image.Resampling.LANCZOS, box=box)


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""

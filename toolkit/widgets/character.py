"""CharacterSheet: one character, many scenes, with similarity scores against the reference."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import BudgetExceededError, InputError
from .base import App, ImageUpload, gallery_box, thumbs_row
from .logic.cards import card_html
from .logic.notices import Notice, describe_result
from .logic.scenes import (
    CHARACTER_TEMPLATE,
    DEFAULT_SCENES,
    SCORE_CAVEAT,
    character_prompt,
    merge_scene_notices,
    parse_scenes,
    score_row,
    scores_frame,
    scores_line,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..images import InputImage
    from ..result import Result
    from ..studio import Studio
    from .cost import CostMeter


class CharacterSheet(App):
    """Put the character from reference image(s) into several scenes and score how much stays the same.

    Each scene is one ``studio.generate(prompt, images=references)`` call, with the prompt built from
    ``template`` (``{scene}`` is replaced). Every output is scored against the first reference with
    :func:`toolkit.metrics.similarity`; the scores appear under each card and in :attr:`scores`.
    They measure pixels, not identity: see :attr:`caveat`.

    Parameters
    ----------
    studio : toolkit.Studio
    reference : image or list of images, optional
        The character (anything :func:`toolkit.load_image` accepts); or upload them.
    scenes : list of str, optional
        Default :data:`toolkit.widgets.logic.scenes.DEFAULT_SCENES`.
    template : str
        Prompt template with ``{scene}``.
    model, aspect_ratio, image_size : str, optional
        Passed to every call.
    meter : CostMeter, optional
    thumb_side : int

    Attributes
    ----------
    upload : ImageUpload
        Uploading replaces the references.
    references : list of InputImage
    template : ipywidgets.Textarea
    scenes : ipywidgets.Textarea
        One scene per line.
    run_button : ipywidgets.Button
    progress : ipywidgets.IntProgress
    caveat : ipywidgets.HTML
    gallery : ipywidgets.Box
        One card per scene, in scene order.
    scores : pandas.DataFrame
        One row per scene: ``scene, status, phash, ssim, histogram, cost_usd`` (NaN scores without an
        image; status ``skipped`` for scenes not run because an earlier one failed).
    results : list of Result
        The last run's Results, in scene order.
    message : ipywidgets.HTML
    meter : CostMeter

    Examples
    --------
    >>> cs = CharacterSheet(studio, reference=tk.sample("astronaut"), scenes=["at night", "in the rain"])
    >>> cs.run_button.click()
    >>> cs.scores[["scene", "status"]].values.tolist()
    [['at night', 'ok'], ['in the rain', 'ok']]
    >>> bool(cs.scores["phash"].between(0, 1).all()), len(cs.gallery.children)
    (True, 2)
    """

    def __init__(self, studio: Studio, reference: Any = None, scenes: Sequence[str] | None = None, *,
                 template: str = CHARACTER_TEMPLATE, model: str | None = None,
                 aspect_ratio: str | None = None, image_size: str | None = None, meter: CostMeter | None = None,
                 thumb_side: int = 220) -> None:
        super().__init__(studio, meter)
        self.options: dict[str, Any] = {"model": model, "aspect_ratio": aspect_ratio, "image_size": image_size}
        self.thumb_side = thumb_side
        self.references: list[InputImage] = []
        self.results: list[Result] = []
        self.scores: pd.DataFrame = scores_frame([])

        self.upload = ImageUpload(multiple=True, description="Reference image(s)",
                                  layout=widgets.Layout(width="auto"))
        self.reference_view = widgets.HBox()
        self.template = widgets.Textarea(value=template, rows=2, description="Template",
                                         layout=widgets.Layout(width="100%"), style={"description_width": "initial"})
        self.scenes = widgets.Textarea(value="\n".join(scenes if scenes is not None else DEFAULT_SCENES),
                                       rows=5, description="Scenes (one per line)",
                                       layout=widgets.Layout(width="100%"), style={"description_width": "initial"})
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="users")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="240px"))
        self.caveat = widgets.HTML(f'<div style="font-size:12px;line-height:1.35;color:#555;max-width:900px">'
                                   f"{SCORE_CAVEAT}</div>")
        self.gallery = gallery_box()
        self.scores_view = widgets.HTML()

        self.upload.observe(self._on_upload, "value")
        self.run_button.on_click(lambda _b: self.run())

        self.children = [
            self.meter,
            widgets.HBox([self.upload]),
            self.reference_view,
            self.template,
            self.scenes,
            widgets.HBox([self.run_button, self.progress], layout=widgets.Layout(align_items="center")),
            self.caveat,
            self.message,
            self.gallery,
            self.scores_view,
        ]
        if reference is not None:
            refs = list(reference) if isinstance(reference, list | tuple) else [reference]
            self._guard(lambda: self.set_references(refs))

    # -- actions --------------------------------------------------------------------------------------
    def set_references(self, images: Sequence[Any]) -> None:
        """Replace the reference images (anything :func:`toolkit.load_image` accepts)."""
        from ..images import load_image

        self.references = [load_image(im, max_side=self.studio.max_input_side) for im in images]
        labels = ["reference (scored against)" if i == 0 else f"reference {i + 1}" for i in range(len(self.references))]
        self.reference_view.children = thumbs_row(self.references, labels, 120)

    def run(self) -> pd.DataFrame | None:
        """Generate one image per scene (what the button does); returns :attr:`scores`, or None on failure."""
        return self._run([self.run_button], self._run_scenes, busy="Generating…")

    def _run_scenes(self) -> pd.DataFrame:
        if not self.references:
            raise InputError("Add a reference image of the character first (upload one, or pass reference=...).")
        scenes = parse_scenes(self.scenes.value)
        if not scenes:
            raise InputError("Write at least one scene, one per line (e.g. 'walking in the snow').")
        reference = self.references[0].to_pil()
        rows: list[dict[str, Any]] = [score_row(s, None, None, status="skipped") for s in scenes]
        self.results = []
        self.gallery.children = ()
        self.progress.max, self.progress.value = len(scenes), 0
        failure: BaseException | None = None
        problems: list[tuple[str, Notice]] = []
        for i, scene in enumerate(scenes):
            try:
                result = self.studio.generate(character_prompt(scene, self.template.value),
                                              images=list(self.references), **self.options)
            except Exception as exc:  # keep the scenes already done; the message names the failure
                rows[i] = score_row(scene, None, None,
                                          status="refused" if isinstance(exc, BudgetExceededError) else "error")
                failure = exc
                break
            self.results.append(result)
            rows[i] = score_row(scene, result, reference)
            self._add_card(scene, result, rows[i])
            self.progress.value = i + 1
            notice = describe_result(result)
            if notice is not None:
                problems.append((scene, notice))
            self._publish(rows)  # partial scores are visible while the rest run
        self._publish(rows)
        for notice in merge_scene_notices(problems):
            self.show(notice)
        if failure is not None:
            raise failure
        return self.scores

    # -- handlers -------------------------------------------------------------------------------------
    def _publish(self, rows: list[dict[str, Any]]) -> None:
        self.scores = scores_frame(rows)
        self.scores_view.value = self.scores.to_html(
            index=False, float_format=lambda v: f"{v:.3f}", na_rep="–", border=0, classes="toolkit-scores",
            formatters={"cost_usd": lambda v: f"${v:.4f}"})

    def _add_card(self, scene: str, result: Result, row: dict[str, Any]) -> None:
        footer = (f'<div style="font-family:monospace;font-size:11px;color:#1f5fa8;margin-top:2px">'
                  f"{html.escape(scores_line(row))}</div>")
        card = widgets.HTML(card_html(result, thumb_side=self.thumb_side, title=scene, footer=footer))
        self.gallery.children = (*self.gallery.children, card)

    def _on_upload(self, change: Any) -> None:
        self._take_upload(change, self.set_references)

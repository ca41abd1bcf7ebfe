"""The plain functions behind the widget apps, one module per concept.

Widgets are thin (see the README's Design section): every callback in :mod:`toolkit.widgets` calls one
of these, and each module has its unit tests in ``tests/widgets/test_logic_<module>.py``. Nothing here
imports ipywidgets, so the functions work (and are tested) without a notebook.

Modules:

- :mod:`.uploads`: :func:`upload_files`, :func:`load_uploads`, :func:`normalise_upload_entry`;
- :mod:`.notices`: :class:`Notice`, :func:`describe_error`, :func:`describe_result`, :func:`notice_html`;
- :mod:`.model_options`: :func:`model_choices`, :func:`model_info`, :func:`aspect_ratio_choices`,
  :func:`size_choices`, :func:`option_value`, :func:`keep_or_default`;
- :mod:`.backend_options`: :data:`BACKEND_LABELS`, :func:`configured_backends`, :func:`backend_choices`,
  :func:`models_for_backend`;
- :mod:`.cards`: gallery cards and estimates, :func:`card_html`, :func:`card_caption`, :func:`estimate_html`;
- :mod:`.meter`: the cost meter, :class:`MeterStats`, :func:`meter_stats`, :func:`meter_html`,
  :func:`backend_badge_html`;
- :mod:`.edits` (Editor): :data:`PRESETS`, :func:`click_to_pixels`, :func:`hotspot_phrase`,
  :func:`edit_prompt`, :func:`mark_point`, :func:`download_link_html`, :class:`EditHistory`;
- :mod:`.scenes` (CharacterSheet): :func:`parse_scenes`, :func:`character_prompt`, :func:`score_row`,
  :func:`scores_frame`, :func:`scores_line`, :func:`merge_scene_notices`;
- :mod:`.placement` (FusionBoard): :data:`POSITIONS`, :func:`fusion_prompt`, :func:`placement_preview`;
- :mod:`.images` (views and the CanvasTutor's mirror): :func:`thumbnail`, :func:`jpeg_bytes`,
  :func:`png_bytes`, :func:`fit_into`, :func:`draw_stroke`.

Every public name is also available here, so ``from toolkit.widgets import logic; logic.card_html(...)``
works as well as ``from toolkit.widgets.logic.cards import card_html``.

>>> from toolkit.widgets import logic
>>> logic.option_value("auto") is None and logic.Notice is logic.notices.Notice
True
"""

from __future__ import annotations

from . import backend_options, cards, edits, images, meter, model_options, notices, placement, scenes, uploads
from .backend_options import BACKEND_LABELS, backend_choices, configured_backends, models_for_backend
from .cards import card_caption, card_html, estimate_html
from .edits import (
    PRESETS,
    EditHistory,
    click_to_pixels,
    download_link_html,
    edit_prompt,
    hotspot_phrase,
    mark_point,
)
from .images import draw_stroke, fit_into, jpeg_bytes, png_bytes, thumbnail
from .meter import MeterStats, backend_badge_html, meter_html, meter_stats
from .model_options import (
    AUTO,
    MODEL_DEFAULT,
    OFF,
    aspect_ratio_choices,
    grounding_choices,
    grounding_value,
    keep_or_default,
    model_choices,
    model_info,
    option_value,
    size_choices,
    thinking_choices,
    tier_choices,
)
from .notices import Notice, describe_error, describe_result, notice_html
from .placement import CUSTOM_POSITION, POSITIONS, fusion_prompt, placement_preview
from .scenes import (
    CHARACTER_TEMPLATE,
    DEFAULT_SCENES,
    SCORE_CAVEAT,
    SCORE_COLUMNS,
    character_prompt,
    merge_scene_notices,
    parse_scenes,
    score_row,
    scores_frame,
    scores_line,
)
from .uploads import load_uploads, normalise_upload_entry, upload_files

__all__ = [
    "AUTO",
    "BACKEND_LABELS",
    "CHARACTER_TEMPLATE",
    "CUSTOM_POSITION",
    "DEFAULT_SCENES",
    "MODEL_DEFAULT",
    "OFF",
    "POSITIONS",
    "PRESETS",
    "SCORE_CAVEAT",
    "SCORE_COLUMNS",
    "EditHistory",
    "MeterStats",
    "Notice",
    "aspect_ratio_choices",
    "backend_badge_html",
    "backend_choices",
    "backend_options",
    "card_caption",
    "card_html",
    "cards",
    "character_prompt",
    "click_to_pixels",
    "configured_backends",
    "describe_error",
    "describe_result",
    "download_link_html",
    "draw_stroke",
    "edit_prompt",
    "edits",
    "estimate_html",
    "fit_into",
    "fusion_prompt",
    "grounding_choices",
    "grounding_value",
    "hotspot_phrase",
    "images",
    "jpeg_bytes",
    "keep_or_default",
    "load_uploads",
    "mark_point",
    "merge_scene_notices",
    "meter",
    "meter_html",
    "meter_stats",
    "model_choices",
    "model_info",
    "model_options",
    "models_for_backend",
    "normalise_upload_entry",
    "notice_html",
    "notices",
    "option_value",
    "parse_scenes",
    "placement",
    "placement_preview",
    "png_bytes",
    "scenes",
    "score_row",
    "scores_frame",
    "scores_line",
    "size_choices",
    "thinking_choices",
    "thumbnail",
    "tier_choices",
    "upload_files",
    "uploads",
]

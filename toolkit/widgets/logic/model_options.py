"""Model dropdowns: the models to offer, and the aspect ratios and sizes the selected model accepts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ... import registry


def model_info(model_id: str) -> registry.ModelInfo:
    """The registry entry for an id or alias; a permissive stand-in for ids the registry does not know.

    Examples
    --------
    >>> model_info("nano-banana-pro").id
    'gemini-3-pro-image'
    """
    return registry.lookup(model_id) or registry.generic_model(model_id)


def model_choices(model_ids: Sequence[str] | None = None, current: str | None = None,
                  today: dt.date | None = None) -> list[tuple[str, str]]:
    """Dropdown options ``(label, model id)``.

    Parameters
    ----------
    model_ids : sequence of str, optional
        The ids to offer; default: every registry model that is not past its shutdown date.
    current : str, optional
        Always offered (first when it is not in ``model_ids``), e.g. the Studio's own model.
    today : date, optional
        For shutdown checks (tests).

    Examples
    --------
    >>> model_choices(["gemini-3-pro-image"])
    [('Nano Banana Pro (gemini-3-pro-image)', 'gemini-3-pro-image')]
    """
    ids = [m.id for m in registry.MODELS if not m.is_shut_down(today)] if model_ids is None else list(model_ids)
    if current is not None and all(model_info(i).id != model_info(current).id for i in ids):
        ids.insert(0, current)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for mid in ids:
        info = registry.lookup(mid)
        value = info.id if info else mid
        if value in seen:
            continue
        seen.add(value)
        label = f"{info.nickname} ({info.id})" if info else f"{mid} (not in registry)"
        if info is not None and info.is_shut_down(today):
            label += " · shut down"
        out.append((label, value))
    return out


AUTO = "auto"
"""Aspect-ratio option meaning "let the model decide" (sent as None)."""

MODEL_DEFAULT = "default"
"""Image-size option meaning "the model's default size" (sent as None)."""


def option_value(value: str | None) -> str | None:
    """What a dropdown value means for the Studio: :data:`AUTO` and :data:`MODEL_DEFAULT` become None.

    Dropdown options use these strings rather than None because ipywidgets shows a None value as an
    empty selection.

    Examples
    --------
    >>> option_value("auto"), option_value("default"), option_value("16:9")
    (None, None, '16:9')
    """
    return None if value in (AUTO, MODEL_DEFAULT, None) else value


def aspect_ratio_choices(info: registry.ModelInfo) -> list[tuple[str, str]]:
    """Dropdown options for the aspect ratio: :data:`AUTO` then the model's ratios.

    Examples
    --------
    >>> [v for _, v in aspect_ratio_choices(model_info("gemini-3-pro-image"))][:3]
    ['auto', '1:1', '2:3']
    """
    return [("auto (1:1, or the input's shape)", AUTO), *((ar, ar) for ar in info.aspect_ratios)]


def size_choices(info: registry.ModelInfo) -> tuple[list[tuple[str, str]], bool]:
    """Dropdown options for the image size, and whether the dropdown should be enabled.

    Models without sizes (2.5 Flash Image) get the single option ``(model default)``, disabled.

    Examples
    --------
    >>> size_choices(model_info("gemini-2.5-flash-image"))
    ([('(model default)', 'default')], False)
    >>> [v for _, v in size_choices(model_info("gemini-nano-banana-2.1"))[0]]
    ['default', '1K', '2K', '4K']
    """
    if not info.image_sizes:
        return [("(model default)", MODEL_DEFAULT)], False
    return [(f"(model default: {info.default_size})", MODEL_DEFAULT), *((s, s) for s in info.image_sizes)], True


def keep_or_default(value: Any, options: Sequence[tuple[str, Any]], default: Any = None) -> Any:
    """``value`` when it is still among ``options``' values, else ``default``.

    Examples
    --------
    >>> keep_or_default("4K", [("default", "default"), ("1K", "1K")], "default")
    'default'
    """
    return value if any(v == value for _, v in options) else default



OFF = "off"
"""Thinking/grounding option meaning "not sent" (the model's own default)."""


def thinking_choices(info: registry.ModelInfo) -> tuple[list[tuple[str, str]], bool]:
    """Dropdown options for ``thinking_level``: the model's default, then its levels; disabled without any.

    Examples
    --------
    >>> [v for _, v in thinking_choices(model_info("gemini-3.1-flash-image"))[0]][:2]
    ['off', 'minimal']
    >>> thinking_choices(model_info("gemini-2.5-flash-image"))
    ([('(no thinking)', 'off')], False)
    """
    if not info.thinking_levels:
        return [("(no thinking)", OFF)], False
    return [("(model default)", OFF), *((level, level) for level in info.thinking_levels)], True


def grounding_choices(info: registry.ModelInfo) -> tuple[list[tuple[str, str]], bool]:
    """Dropdown options for Search grounding: off, each type the model has, and both; disabled without any.

    Examples
    --------
    >>> grounding_choices(model_info("gemini-3.1-flash-lite-image"))
    ([('off', 'off')], False)
    """
    types = list(info.grounding)
    if not types:
        return [("off", OFF)], False
    out = [("off", OFF), *((f"{t} search", t) for t in types)]
    if len(types) > 1:
        out.append((" + ".join(types) + " search", ",".join(types)))
    return out, True


def grounding_value(value: str | None) -> str | tuple[str, ...] | None:
    """What a grounding dropdown value means for the Studio (``"web,image"`` becomes a tuple).

    Examples
    --------
    >>> grounding_value("off"), grounding_value("web"), grounding_value("web,image")
    (None, 'web', ('web', 'image'))
    """
    if value in (None, OFF):
        return None
    assert value is not None
    return tuple(value.split(",")) if "," in value else value


def tier_choices(info: registry.ModelInfo) -> tuple[list[tuple[str, str]], bool]:
    """Dropdown options for the service tier (``standard`` first); disabled when the model has only one.

    Examples
    --------
    >>> tier_choices(model_info("gemini-3.1-flash-image"))[0][0]
    ('standard', 'standard')
    """
    tiers = ["standard", *(t for t in info.service_tiers if t != "standard")]
    return [(t, t) for t in tiers], len(tiers) > 1

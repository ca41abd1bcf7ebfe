"""Widget apps for notebooks: each is an ``ipywidgets.VBox`` that displays itself.

>>> from toolkit.widgets import Playground
>>> app = Playground(studio)      # in a notebook, end a cell with ``app`` to show it
>>> app.prompt.value = "a lighthouse at dusk"
>>> app.generate_button.click()
>>> app.results[-1].status
'ok'

Every app can be driven without a browser: set the controls' values and call ``.click()`` on the
buttons. The logic behind the callbacks lives in :mod:`toolkit.widgets.logic` as plain functions.
"""

from __future__ import annotations

from .canvas import CanvasTutor
from .character import CharacterSheet
from .cost import CostMeter
from .editor import Editor
from .fusion import FusionBoard
from .playground import Playground

__all__ = ["CanvasTutor", "CharacterSheet", "CostMeter", "Editor", "FusionBoard", "Playground"]

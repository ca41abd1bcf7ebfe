"""Flash Image Toolkit: a Jupyter-first workbench for Google's Gemini image models.

>>> import toolkit as tk
>>> studio = tk.Studio()      # Gemini API with GEMINI_API_KEY / GOOGLE_API_KEY, else the offline simulator
>>> r = studio.generate("A photo of my cat eating a nano-banana in a fancy restaurant", aspect_ratio="16:9")

Everything public is listed in ``__all__``; other modules may change without notice.
"""

from __future__ import annotations

from .chat import Chat, Exchange
from .errors import (
    BudgetExceededError,
    ConfigError,
    ImageInputError,
    InputAdjustedWarning,
    InputError,
    ModelNotFoundError,
    OptionError,
    ProviderError,
    ToolkitError,
)
from .fakes import FakeFalServer, FakeOpenRouterServer
from .images import InputImage, load_image, read_metadata
from .ledger import Ledger
from .packs import Manifest
from .packs import read_manifest as read_pack_manifest
from .pricing import Estimate, list_cost
from .ratelimit import RateLimit
from .registry import (
    DEFAULT_MODEL,
    MODELS,
    ModelInfo,
    ModelShutdownWarning,
    UnknownModelWarning,
    models_table,
)
from .request import Options, Request
from .result import Result
from .runner import RetryPolicy
from .samples import sample, samples
from .store import Store, default_home
from .studio import Studio, __version__
from .testing import FakeGeminiServer

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "BudgetExceededError",
    "Chat",
    "ConfigError",
    "Estimate",
    "Exchange",
    "FakeFalServer",
    "FakeGeminiServer",
    "FakeOpenRouterServer",
    "ImageInputError",
    "InputAdjustedWarning",
    "InputError",
    "InputImage",
    "Ledger",
    "Manifest",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelShutdownWarning",
    "OptionError",
    "Options",
    "ProviderError",
    "RateLimit",
    "Request",
    "Result",
    "RetryPolicy",
    "Store",
    "Studio",
    "ToolkitError",
    "UnknownModelWarning",
    "__version__",
    "default_home",
    "list_cost",
    "load_image",
    "models_table",
    "read_metadata",
    "read_pack_manifest",
    "sample",
    "samples",
]

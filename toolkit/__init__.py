"""Flash Image Toolkit: a Jupyter-first workbench for Google's Gemini image models.

>>> import toolkit as tk
>>> studio = tk.Studio(home=home)  # Gemini API with GEMINI_API_KEY / GOOGLE_API_KEY, else the offline simulator
>>> r = studio.generate("A photo of my cat eating a nano-banana in a fancy restaurant", aspect_ratio="16:9")
>>> r.status
'ok'

Everything public is listed in ``__all__``; other modules may change without notice. The loopback fakes
(``tk.FakeGeminiServer``, ...) live in :mod:`toolkit.testing`, imported only when first used.
"""

from __future__ import annotations

import typing

from . import backends
from .backends import BackendConfig, BackendSpec
from .budget import Budget, BudgetState
from .chat import Chat, Exchange
from .classroom import Classroom
from .engine import Engine
from .errors import (
    AnswerTimeoutError,
    BudgetExceededError,
    ConfigError,
    ImageInputError,
    InputAdjustedWarning,
    InputError,
    MalformedReplyError,
    ModelNotFoundError,
    OptionError,
    ProviderError,
    StorageError,
    StreamInterruptedError,
    ToolkitError,
)
from .images import InputImage, load_image, read_metadata
from .judge import JudgeEstimate, PairwiseRun
from .ledger import Ledger
from .options import CallOptions, Options
from .packs import Manifest
from .packs import read_manifest as read_pack_manifest
from .pricing import Estimate, list_cost
from .ratelimit import RateLimit
from .registry import (
    DEFAULT_MODEL,
    MODELS,
    DefaultModelMissingWarning,
    ModelGuidanceWarning,
    ModelInfo,
    ModelShutdownWarning,
    UnknownModelWarning,
    models_table,
)
from .request import Request
from .result import Result
from .runner import RetryNotice, RetryPolicy
from .samples import sample, samples
from .simulator import simulator_vocabulary
from .store import Store, default_home
from .studio import Studio
from .text_models import TEXT_MODELS, TextModel
from .version import __version__

_TESTING = ("FakeGeminiServer", "FakeOpenRouterServer", "FakeFalServer")


def __getattr__(name: str) -> typing.Any:
    """The loopback fakes, imported from :mod:`toolkit.testing` on first use (``import toolkit`` stays light)."""
    if name in _TESTING:
        from . import testing

        return getattr(testing, name)
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "TEXT_MODELS",
    "AnswerTimeoutError",
    "BackendConfig",
    "BackendSpec",
    "Budget",
    "BudgetExceededError",
    "BudgetState",
    "CallOptions",
    "Chat",
    "Classroom",
    "ConfigError",
    "DefaultModelMissingWarning",
    "Engine",
    "Estimate",
    "Exchange",
    "FakeFalServer",
    "FakeGeminiServer",
    "FakeOpenRouterServer",
    "ImageInputError",
    "InputAdjustedWarning",
    "InputError",
    "InputImage",
    "JudgeEstimate",
    "Ledger",
    "MalformedReplyError",
    "Manifest",
    "ModelGuidanceWarning",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelShutdownWarning",
    "OptionError",
    "Options",
    "PairwiseRun",
    "ProviderError",
    "RateLimit",
    "Request",
    "Result",
    "RetryNotice",
    "RetryPolicy",
    "StorageError",
    "Store",
    "StreamInterruptedError",
    "Studio",
    "TextModel",
    "ToolkitError",
    "UnknownModelWarning",
    "__version__",
    "backends",
    "default_home",
    "list_cost",
    "load_image",
    "models_table",
    "read_metadata",
    "read_pack_manifest",
    "sample",
    "samples",
    "simulator_vocabulary",
]

"""The Vertex AI backend ("Gemini Enterprise Agent Platform"): the same image models through google-genai's
``genai.Client(vertexai=True, ...)`` (https://cloud.google.com/vertex-ai/generative-ai/docs/start/quickstart).

Where requests go. ``POST {base}/v1beta1/projects/{project}/locations/{location}/publishers/google/models/
{model}:generateContent`` (and ``:streamGenerateContent?alt=sse``;
https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference). The base URL follows the location as
the SDK builds it: ``https://aiplatform.googleapis.com/`` for ``global`` (the default here, as in the SDK),
``https://aiplatform.{us,eu}.rep.googleapis.com/`` for the multi-regions, else
``https://{location}-aiplatform.googleapis.com/``. ``base_url=`` or ``GOOGLE_VERTEX_BASE_URL`` points it
elsewhere (a gateway, or :class:`~toolkit.testing.FakeGeminiServer`), keeping the path. Express mode (an
API key, no project) sends ``/v1beta1/publishers/google/models/{model}:generateContent`` with the key in
``x-goog-api-key``.

Configuration, in the SDK's order of precedence (``google/genai/_api_client.py``, ``BaseApiClient``):

* explicit arguments beat the environment; ``credentials=`` and ``api_key=`` exclude each other;
* ``project`` / ``location`` (arguments or ``GOOGLE_CLOUD_PROJECT`` / ``GOOGLE_CLOUD_LOCATION``) beat an
  API key from the environment (``GOOGLE_API_KEY``, then ``GEMINI_API_KEY``);
* an explicit ``api_key=`` with no explicit project or location is express mode, whatever the
  environment says about projects.

Auth without an API key is Application Default Credentials (google-auth): ``gcloud auth
application-default login``, ``GOOGLE_APPLICATION_CREDENTIALS`` or the metadata server; or pass
``credentials=`` (any ``google.auth.credentials.Credentials``). ADC is resolved by the SDK on the first
request, not here, so building a Studio never blocks on the metadata server; a failure then is a
``ProviderError`` 401 with the fix.

Not offered on Vertex here: batch mode (Vertex batch jobs read and write Cloud Storage or BigQuery, not
inline requests: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/batch-prediction-api)
and Interactions chats (chats replay the history with ``generateContent``, as on every backend other than
the Gemini API). Proxy mode (a ``base_url`` with neither project nor key, where the
SDK posts to the bare URL) is not used: this backend always knows its project or key.

Image options only Vertex accepts: ``person_generation`` (``ALLOW_ALL`` / ``ALLOW_ADULT`` /
``ALLOW_NONE``), ``prominent_people`` (``ALLOW_PROMINENT_PEOPLE`` / ``BLOCK_PROMINENT_PEOPLE``),
``output_mime_type`` (``image/png`` / ``image/jpeg``) and ``output_compression_quality`` (0-100, JPEG).
The SDK puts the last two in ``imageConfig.imageOutputOptions``
(https://googleapis.github.io/python-genai/genai.html#genai.types.ImageConfig). Replies carry
``usageMetadata.trafficType`` (``ON_DEMAND``, ``PROVISIONED_THROUGHPUT``, ...) and ``createTime``, kept in
``Reply.extra`` and recorded as ``traffic_type`` in the image metadata.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ConfigError, ProviderError
from ..options import OPTION_NAMES
from ..request import Options, Request
from ..secrets import Secret, scrub
from .gemini import GenerateContentBackend, check_base_url, env_api_key
from .gemini_wire import gemini_hint, request_json, to_provider_error

ENV_PROJECT = "GOOGLE_CLOUD_PROJECT"
ENV_LOCATION = "GOOGLE_CLOUD_LOCATION"
ENV_BASE_URL = "GOOGLE_VERTEX_BASE_URL"
#: What the SDK reads to choose Vertex AI; ENTERPRISE wins when both are set (as in the SDK).
ENV_USE_VERTEX = ("GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI")
DEFAULT_LOCATION = "global"
DEFAULT_API_VERSION = "v1beta1"
MULTI_REGIONS = frozenset({"us", "eu"})

PERSON_GENERATION = ("ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE")
PROMINENT_PEOPLE = ("ALLOW_PROMINENT_PEOPLE", "BLOCK_PROMINENT_PEOPLE")
OUTPUT_MIME_TYPES = ("image/png", "image/jpeg")

_ADC_FIX = ("sign in once with `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS to "
            "a service-account key file), or pass Studio(backend='vertex', credentials=...); or use Vertex AI "
            "express mode with an API key: Studio(backend='vertex', api_key=...).")


def use_vertex_from_env(env: Mapping[str, str] | None = None) -> bool:
    """True when the environment asks google-genai for Vertex AI, read as the SDK reads it.

    ``GOOGLE_GENAI_USE_ENTERPRISE`` when set, else ``GOOGLE_GENAI_USE_VERTEXAI``; ``"true"`` or ``"1"``
    (any case) mean yes.

    >>> use_vertex_from_env({"GOOGLE_GENAI_USE_VERTEXAI": "True"})
    True
    >>> use_vertex_from_env({"GOOGLE_GENAI_USE_VERTEXAI": "1", "GOOGLE_GENAI_USE_ENTERPRISE": "false"})
    False
    """
    env = os.environ if env is None else env
    for name in ENV_USE_VERTEX:
        value = env.get(name)
        if value is not None:
            return value.strip().lower() in ("true", "1")
    return False


def default_base_url(location: str | None) -> str:
    """The endpoint the SDK picks for a location (None: express mode, which uses the global endpoint).

    >>> default_base_url("us-central1")
    'https://us-central1-aiplatform.googleapis.com/'
    >>> default_base_url("global"), default_base_url("eu")
    ('https://aiplatform.googleapis.com/', 'https://aiplatform.eu.rep.googleapis.com/')
    """
    if location is None or location == "global":
        return "https://aiplatform.googleapis.com/"
    if location in MULTI_REGIONS:
        return f"https://aiplatform.{location}.rep.googleapis.com/"
    return f"https://{location}-aiplatform.googleapis.com/"


def check_vertex_options(options: Options) -> Options:
    """Validate the Vertex-only image options; returns them canonicalised (enum names upper-case).

    Raises
    ------
    OptionError
        A value Vertex AI does not accept, naming the accepted ones.
    """
    from dataclasses import replace

    from ..errors import OptionError

    changes: dict[str, Any] = {}
    for name, allowed in (("person_generation", PERSON_GENERATION), ("prominent_people", PROMINENT_PEOPLE)):
        value = getattr(options, name)
        if value is None:
            continue
        canon = value.strip().upper() if isinstance(value, str) else value
        if canon not in allowed:
            raise OptionError(f"{name}={value!r} is not a Vertex AI value; use one of: {', '.join(allowed)}.")
        changes[name] = canon
    mime = options.output_mime_type
    if mime is not None:
        canon = mime.strip().lower() if isinstance(mime, str) else mime
        canon = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "image/jpg": "image/jpeg"}.get(
            canon, canon)
        if canon not in OUTPUT_MIME_TYPES:
            raise OptionError(f"output_mime_type={mime!r}: Vertex AI image models write "
                              f"{' or '.join(OUTPUT_MIME_TYPES)}.")
        changes["output_mime_type"] = canon
    quality = options.output_compression_quality
    if quality is not None:
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise OptionError(f"output_compression_quality={quality!r} must be a whole number from 0 to 100 "
                              f"(JPEG quality).")
        if changes.get("output_mime_type", mime) == "image/png":
            raise OptionError("output_compression_quality applies to JPEG only; drop it, or use "
                              "output_mime_type='image/jpeg'.")
    return replace(options, **changes) if changes else options


def vertex_hint(code: int | None, status: str | None, message: str, model: str | None) -> str | None:
    """The ``Fix:`` line for a Vertex AI error (auth and access differ from the Gemini API's)."""
    if code == 401:
        return "the Google Cloud credentials are missing, expired or refused: " + _ADC_FIX
    if code == 403:
        return ("the credentials have no access to Vertex AI in this project: enable the Vertex AI API "
                "(aiplatform.googleapis.com) and grant the caller roles/aiplatform.user; in express mode, check "
                "the API key's restrictions.")
    if code == 404:
        return ("the model is not available to this project in this location. Try location='global' (image "
                "models usually launch there first), check the id with studio.models(), and check the project.")
    if code == 400 and "API key" in message:
        return "check the Vertex AI express-mode API key (Google Cloud console > Vertex AI > API keys)."
    if code == 429:
        return ("the project's quota for this model and location is used up (Vertex sends no retry delay). Slow "
                "down, request a quota increase, or use location='global' (dynamic shared quota).")
    return gemini_hint(code, status, message, model)


class VertexBackend(GenerateContentBackend):
    """Calls Gemini image models on Vertex AI through google-genai.

    Parameters
    ----------
    project : str, optional
        Google Cloud project id. Default ``GOOGLE_CLOUD_PROJECT``, else ``credentials.project_id`` when the
        credentials have one.
    location : str, optional
        ``"global"`` (default), a region (``"us-central1"``, ``"europe-west4"``, ...) or a multi-region
        (``"us"``, ``"eu"``). Default ``GOOGLE_CLOUD_LOCATION``, else ``"global"``.
    api_key : str or Secret, optional
        Vertex AI express mode (no project): requests go to ``/v1beta1/publishers/google/models/...`` with
        this key. Held in a :class:`~toolkit.secrets.Secret`. Without it (and without a project) the
        environment's ``GOOGLE_API_KEY`` / ``GEMINI_API_KEY`` is used, as the SDK does.
    credentials : google.auth.credentials.Credentials, optional
        Explicit Google Cloud credentials; default Application Default Credentials, resolved on the first
        request.
    base_url : str, optional
        Another endpoint (gateway, proxy, :class:`~toolkit.testing.FakeGeminiServer`); default
        ``GOOGLE_VERTEX_BASE_URL``, else the location's endpoint (:func:`default_base_url`).
    api_version : str, optional
        Default ``GOOGLE_GENAI_API_VERSION``, else ``"v1beta1"`` (the SDK's Vertex default).
    timeout_s : float
        Per-request timeout.

    Raises
    ------
    ConfigError
        No project and no API key (naming ``GOOGLE_CLOUD_PROJECT`` and the fixes), both ``api_key`` and
        ``credentials``, ``location`` without a project in express mode, or a bad base URL.

    Attributes
    ----------
    project, location : str or None
        None in express mode.
    mode : str
        ``"project"`` (Google Cloud credentials; or an API key sent to the project's endpoint when both were
        given) or ``"express"`` (API key only).
    """

    kind: ClassVar[str] = "vertex"
    #: The options it carries (its ``BackendSpec.options``): all but ``service_tier``. Vertex AI's flex and
    #: priority traffic is chosen differently (a request header and the global endpoint, with its own
    #: prices), which this backend does not send; it refuses the option rather than bill at the wrong price.
    options: ClassVar[frozenset[str]] = frozenset(OPTION_NAMES) - {"service_tier"}

    def __init__(
        self,
        project: str | None = None,
        location: str | None = None,
        *,
        api_key: str | Secret | None = None,
        credentials: Any = None,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout_s: float = 150.0,
    ) -> None:
        from google import genai
        from google.genai import types

        key = (api_key if isinstance(api_key, Secret) else Secret(api_key)) if api_key else None
        if key and credentials is not None:
            raise ConfigError("Pass either api_key= (Vertex AI express mode) or credentials= (a Google Cloud "
                              "project), not both: google-genai accepts only one.")
        project, location = project or None, location or None
        if project is None and location is None and credentials is None:
            if key is None:
                # Nothing explicit: the environment, where a project (and location) beats an API key.
                project = os.environ.get(ENV_PROJECT) or None
                location = os.environ.get(ENV_LOCATION) or None
                if project is None:
                    key = Secret(k) if (k := env_api_key()) else None
            # else: an explicit key and no explicit project is express mode, whatever the environment says.
        else:
            project = project or os.environ.get(ENV_PROJECT) or getattr(credentials, "project_id", None) or None
            location = location or os.environ.get(ENV_LOCATION) or None
        if project is None and key is None:
            raise ConfigError(
                "backend='vertex' needs a Google Cloud project: set GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION, "
                "default 'global') in the environment, or pass Studio(backend='vertex', project='my-project', "
                "location='us-central1'); then " + _ADC_FIX)
        if project is None and location is not None:
            raise ConfigError(f"location={location!r} needs a project: Vertex AI express mode (an API key without a "
                              f"project) has no location. Pass project=... too, or drop location.")
        self.mode = "project" if project else "express"
        self.project = project
        self.location = (location or DEFAULT_LOCATION) if project else None
        self._key = key
        env_url = os.environ.get(ENV_BASE_URL)
        if base_url is not None:
            check_base_url(base_url)
        elif env_url:
            check_base_url(env_url, ENV_BASE_URL)
        self.base_url = base_url or env_url or default_base_url(self.location)
        self.api_version = api_version or os.environ.get("GOOGLE_GENAI_API_VERSION") or DEFAULT_API_VERSION
        if self.api_version == "beta":  # the SDK's own spelling for its default
            self.api_version = DEFAULT_API_VERSION
        self.timeout_s = timeout_s
        self._credentials_given = credentials is not None
        # base_url=None lets the SDK read GOOGLE_VERTEX_BASE_URL itself (vertexai=True); the location is
        # always passed in project mode, because with a custom base URL and no location the SDK would fall
        # into proxy mode and post to the bare URL.
        http = types.HttpOptions(base_url=base_url, api_version=api_version, timeout=int(timeout_s * 1000))
        kwargs: dict[str, Any] = {"vertexai": True, "http_options": http}
        if project:
            kwargs.update(project=project, location=self.location)
        if credentials is not None:
            kwargs["credentials"] = credentials
        if key:
            kwargs["api_key"] = key.reveal()
        try:
            client = genai.Client(**kwargs)
        except ValueError as e:  # the SDK's own configuration checks
            raise ConfigError(f"google-genai refused the Vertex AI configuration: {scrub(str(e))}") from None
        super().__init__(client)

    @property
    def description(self) -> str:
        if self.mode == "express":
            return f"Vertex AI express mode (API key) at {self.base_url} ({self.api_version})"
        auth = ("API key" if self._key else "explicit credentials" if self._credentials_given
                else "Application Default Credentials")
        return (f"Vertex AI at {self.base_url} ({self.api_version}; project {self.project}, "
                f"location {self.location}; {auth})")

    def __repr__(self) -> str:
        key = ", api_key=<redacted>" if self._key else ""
        return (f"VertexBackend(project={self.project!r}, location={self.location!r}, base_url={self.base_url!r}, "
                f"api_version={self.api_version!r}{key})")

    # -- request ------------------------------------------------------------------------------------------
    def image_config(self, options: Options) -> Any:
        """The SDK's ``ImageConfig`` with the Vertex-only options too (validated by :func:`check_vertex_options`)."""
        from google.genai import types

        o = check_vertex_options(options)
        fields: dict[str, Any] = {
            "aspect_ratio": o.aspect_ratio, "image_size": o.image_size, "person_generation": o.person_generation,
            "prominent_people": o.prominent_people, "output_mime_type": o.output_mime_type,
            "output_compression_quality": o.output_compression_quality,
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        return types.ImageConfig(**fields) if fields else None

    def model_path(self, model: str) -> str:
        """``publishers/google/models/<id>``; the SDK adds ``projects/{p}/locations/{l}/`` in project mode."""
        if model.startswith(("projects/", "publishers/", "models/")):
            return model
        return f"publishers/google/models/{model}"

    def wire_request(self, request: Request) -> dict[str, Any]:
        """The wire request with the Vertex-only image options (validated) in ``imageConfig``."""
        from dataclasses import replace

        return request_json(replace(request, options=check_vertex_options(request.options)), vertex=True)

    def provider_error(self, e: Exception, model: str | None) -> ProviderError | None:
        """As the Gemini API's, plus google-auth's credential failures and :func:`vertex_hint` for the fix."""
        from google.auth import exceptions as auth_errors

        # ADC is resolved on the first request (inside the SDK): a missing or refused credential surfaces
        # here as google-auth's own exception, which is the user's set-up to fix, not a transient failure.
        if isinstance(e, auth_errors.DefaultCredentialsError | auth_errors.RefreshError):
            return ProviderError("vertex", 401, "UNAUTHENTICATED",
                                 scrub(str(e)) or "no Google Cloud credentials were found",
                                 hint="no usable Google Cloud credentials: " + _ADC_FIX)
        if isinstance(e, auth_errors.TransportError):  # the token endpoint could not be reached: retryable
            return ProviderError("vertex", None, "AUTH_TRANSPORT", scrub(str(e)) or "token request failed",
                                 hint="check the network (the Google token endpoint could not be reached).")
        return to_provider_error(e, model, provider="vertex", hint=vertex_hint)

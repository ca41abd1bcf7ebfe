"""The Vertex AI surface of the Gemini fake (``genai.Client(vertexai=True)``): paths, auth, models, OAuth token.

Vertex AI serves the same models under ``/v1beta1|v1/projects/{p}/locations/{l}/publishers/google/models/
{m}:generateContent`` (express mode, with an API key and no project, drops the ``projects/.../locations/...``
scope) and authenticates with an OAuth bearer token from Application Default Credentials. The request and
answer shapes are the ones the google-genai SDK builds for Vertex (https://github.com/googleapis/python-genai);
error texts follow https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 and Google's
OAuth 2 token endpoint (https://developers.google.com/identity/protocols/oauth2).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from .. import registry
from ..registry import ModelInfo
from .gemini_wire import ApiError, Reply, available, check_api_key, paged

__all__ = ["VERTEX_ROUTE", "check_vertex_auth", "models_reply", "token_reply", "vertex_action"]

# Project paths, and express mode (an API key, no project) without them.
VERTEX_ROUTE = re.compile(
    r"^(?P<prefix>(?:/[^/]+)*?)/(?P<version>v1|v1beta1)/"
    r"(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/(?P<publisher>[^/]+)/models(?:/(?P<model>[^:/]+)(?::(?P<method>[A-Za-z]+))?)?/?$"
)
_VERTEX_METHODS = frozenset({"generateContent", "streamGenerateContent", "countTokens"})
_OAUTH_LOGIN_HELP = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
_TOKEN_GRANTS = ("refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer")


def vertex_action(method: str, publisher: str, model: str | None, call: str | None) -> str | None:
    """The action of a Vertex AI path (only Google's publisher exists here)."""
    if publisher != "google":
        return None
    if call is not None:
        return call if method == "POST" and call in _VERTEX_METHODS else None
    if method == "GET":
        return "get" if model else "list"
    return None


def _error_info(reason: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com",
            "metadata": {"service": "aiplatform.googleapis.com",
                         "method": "google.cloud.aiplatform.v1beta1.PredictionService.GenerateContent"}}


def check_vertex_auth(key: str | None, authorization: str | None, *, api_key: str | None,
                      bearer_token: str | None) -> ApiError | None:
    """Vertex AI auth: an OAuth bearer token or the API key (express mode uses the key).

    ``bearer_token`` None accepts any token; with neither ``api_key`` nor ``bearer_token`` set, nothing is
    checked. A wrong token gets 401 ``ACCESS_TOKEN_TYPE_UNSUPPORTED``, no credential at all 401
    ``CREDENTIALS_MISSING``, a wrong key the Gemini API's 400 ``API_KEY_INVALID`` from Vertex's service.
    """
    bearer = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
    if bearer is not None:
        if bearer_token is None or secrets.compare_digest(bearer.encode(), bearer_token.encode()):
            return None
        return ApiError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                             f"login cookie or other valid authentication credential. {_OAUTH_LOGIN_HELP}",
                        details=[_error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED")])
    if key:
        err = check_api_key(key, api_key)
        if err is not None and err.details:  # the same 400 API_KEY_INVALID, from Vertex's service
            err.details = [dict(d, metadata={"service": "aiplatform.googleapis.com"}) if "reason" in d else d
                           for d in err.details]
        return err
    if api_key is None and bearer_token is None:
        return None
    return ApiError(401, "Request is missing required authentication credential. Expected OAuth 2 access "
                         f"token, login cookie or other valid authentication credential. {_OAUTH_LOGIN_HELP}",
                    details=[_error_info("CREDENTIALS_MISSING")])


def _model_json(info: ModelInfo) -> dict[str, Any]:
    return {"name": f"publishers/google/models/{info.id}", "versionId": "001", "launchStage": "GA",
            "openSourceCategory": "PROPRIETARY", "displayName": f"{info.nickname} ({info.id})"}


def models_reply(model: str | None, vertex_path: str | None, query: Mapping[str, str],
                 today: dt.date | None) -> Reply:
    """``GET publishers/google/models`` (base models, as ``models.list(query_base=True)`` asks) and ``.../{m}``."""
    if model is not None:
        info = registry.lookup(model)
        if info is None or info.id != model or not available(info, today):
            raise ApiError(404, f"Publisher Model `{vertex_path}` was not found.")
        return Reply.json(200, _model_json(info))
    models = [m for m in registry.MODELS if available(m, today)]
    return Reply.json(200, paged("publisherModels", models, query, _model_json))


def token_reply(raw: bytes, bearer_token: str | None) -> Reply:
    """The OAuth 2 token endpoint google-auth refreshes against (form body in, JSON out).

    A ``refresh_token`` or ``jwt-bearer`` grant gets ``bearer_token`` (or ``"fake-access-token"``), so
    Application Default Credentials can run for real against the fake.
    """
    form = dict(parse_qsl(raw.decode("utf-8", "replace")))
    grant = form.get("grant_type", "")
    if grant not in _TOKEN_GRANTS:
        return Reply.json(400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"})
    return Reply.json(200, {"access_token": bearer_token or "fake-access-token", "expires_in": 3599,
                            "scope": "https://www.googleapis.com/auth/cloud-platform", "token_type": "Bearer"})

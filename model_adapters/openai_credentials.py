"""The OpenAI adapter's secrets: the API key and whatever credentials its base URL carries.

They never leave the adapter: the key is not part of the identity, the settings or any message;
the URL is recorded and shown only in its redacted form; every error text is scrubbed of both
before it is returned or logged (a server may echo them back). A key that no HTTP header can carry
(a second line, a control character) is a configuration error found before any request is sent.
"""

from __future__ import annotations

import os
from pathlib import Path

from tv_eval.api import REDACTED, AdapterSettings, ModelLoadError, UserFileError, read_user_text, url_secrets

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_ENV_VAR = "OPENAI_API_KEY"
BASE_URL_ENV_VAR = "OPENAI_BASE_URL"


class Secrets:
    """The key and the base URL with its credentials; repr and str never show them, so they cannot
    leak through a log or a traceback."""

    def __init__(self, key: str | None, base_url: str) -> None:
        self._key = key or None
        self._url = base_url
        # Longest first, so a secret that contains another is replaced whole.
        self._values = sorted({*url_secrets(base_url), *([self._key] if self._key else [])}, key=len)[::-1]

    @property
    def key(self) -> str | None:
        return self._key

    @property
    def url(self) -> str:
        """The server's address as given, credentials and all."""
        return self._url

    def scrub(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, REDACTED)
        return text

    def __repr__(self) -> str:
        return "Secrets(***)"

    __str__ = __repr__


def base_url(settings: AdapterSettings) -> str:
    url = str(settings.options.get("base_url") or os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL)
    return url.rstrip("/")


def read_key(settings: AdapterSettings) -> str | None:
    """The key from `--api-key-file`, else from $OPENAI_API_KEY; None when neither gives one."""
    key_file = settings.options.get("api_key_file")
    if not key_file:
        return _checked(os.environ.get(KEY_ENV_VAR, "").strip(), f"${KEY_ENV_VAR}") or None
    path = Path(str(key_file)).expanduser()
    try:
        key = read_user_text(path, "API key file").strip()
    except UserFileError as error:
        raise ModelLoadError(str(error)) from error
    if not key:
        raise ModelLoadError(f"API key file {path} is empty")
    return _checked(key, f"API key file {path}")


def _checked(key: str, source: str) -> str:
    """The key, if an HTTP header can carry it (printable ASCII without spaces)."""
    if "\n" in key or "\r" in key:
        raise ModelLoadError(f"the API key in {source} spans more than one line; a key is one line")
    if any(not (character.isascii() and character.isprintable()) or character.isspace() for character in key):
        raise ModelLoadError(
            f"the API key in {source} holds a space, a control or a non-ASCII character,"
            " which an HTTP header cannot carry"
        )
    return key

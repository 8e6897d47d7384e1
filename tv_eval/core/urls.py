"""Server addresses with their credentials taken out, for everything tv-eval records or prints.

A base URL can carry a secret as well as an API key does: `http://user:token@host/v1`, or
`?api_key=...` for servers that take the key as a query parameter. run.json, logs and error texts
get the redacted form; only the adapter that sends requests holds the address as given.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"
# In a URL the marker has no brackets: they would make the user info read as an IPv6 host.
URL_REDACTED = "REDACTED"
# Query parameters that name a protocol version, never a secret (Azure OpenAI's `api-version`).
PUBLIC_QUERY_PARAMETERS = frozenset({"api-version", "api_version"})


def redact_url(url: str) -> str:
    """The URL with its user info, fragment and every query value but a version's replaced by
    REDACTED; a URL too malformed to take apart is redacted whole."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return URL_REDACTED
    if ":" in host:
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        host = f"{URL_REDACTED}@{host}"
    query = urlencode(
        [
            (name, value if name.lower() in PUBLIC_QUERY_PARAMETERS else URL_REDACTED)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
    )
    return urlunsplit((parts.scheme, host, parts.path, query, URL_REDACTED if parts.fragment else ""))


def is_redacted(url: str) -> bool:
    """Whether `url` is a redacted address (read back from run.json), not one that can be used."""
    return url == URL_REDACTED or (redact_url(url) == url and URL_REDACTED in url)


def url_secrets(url: str) -> list[str]:
    """The pieces of `url` that `redact_url` hides, for scrubbing them out of any other text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    secrets = [parts.username or "", parts.password or "", parts.fragment]
    secrets += [
        value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() not in PUBLIC_QUERY_PARAMETERS
    ]
    return [secret for secret in secrets if secret]

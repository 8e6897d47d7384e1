"""Language codes: one canonical BCP-47 form per language, so breakdowns never split a language.

Benchmarks spell languages many ways ("zh-CN", "zho", "Chinese", "iw"); langcodes knows the
deprecated codes and English names, and we only add the checks that turn its leniency into
clear errors. langcodes is imported where it is first asked: building its tables costs `tv-eval list
tasks` more than the rest of reading the suites.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache


class UnknownLanguageError(ValueError):
    """A language code or name that no registry of languages knows."""


@dataclass(frozen=True)
class LanguageInfo:
    code: str
    name: str
    script: str | None
    alpha3: str | None


@lru_cache(maxsize=4096)
def normalize_language(tag: str) -> str:
    """Canonical BCP-47 tag: 'iw' -> 'he', 'zh_CN' -> 'zh-CN', 'ENG' -> 'en'."""
    import langcodes

    cleaned = tag.strip().replace("_", "-")
    if not cleaned:
        raise UnknownLanguageError("empty language code")
    try:
        language = langcodes.Language.get(cleaned)
    except (ValueError, LookupError) as error:
        raise UnknownLanguageError(f"unknown language code {tag!r}") from error
    if language.language in (None, "und") or not language.is_valid():
        raise UnknownLanguageError(f"unknown language code {tag!r}")
    if (
        language.language.startswith("q")
        and len(language.language) == 3
        and "qaa" <= language.language <= "qtz"
    ):
        raise UnknownLanguageError(f"language code {tag!r} is in the private-use range")
    return language.to_tag()


@lru_cache(maxsize=4096)
def language_from_name(name: str) -> str:
    """BCP-47 tag for an English language name as datasets write it ('Sinhala', 'Filipino').

    Names with control characters (a NUL from a damaged file) are refused before langcodes' trie,
    which crashes on them."""
    import langcodes

    if any(unicodedata.category(character) in ("Cc", "Cs") for character in name):
        raise UnknownLanguageError(f"unknown language name {name!r}")
    try:
        return normalize_language(langcodes.find(name.strip()).to_tag())
    except LookupError as error:
        raise UnknownLanguageError(f"unknown language name {name!r}") from error


@lru_cache(maxsize=4096)
def language_info(tag: str) -> LanguageInfo:
    """Display name, likely script and ISO 639-3 code of a (normalized) tag."""
    import langcodes

    language = langcodes.Language.get(tag)
    script = language.script or language.maximize().script
    try:
        alpha3 = language.to_alpha3()
    except LookupError:
        alpha3 = None
    return LanguageInfo(code=tag, name=language.display_name(), script=script, alpha3=alpha3)


def parse_language_list(text: str) -> list[str]:
    """Comma-separated codes from the CLI, normalized; raises UnknownLanguageError naming the bad one."""
    return [normalize_language(part) for part in text.split(",") if part.strip()]

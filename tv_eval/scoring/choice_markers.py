"""The words with which a model names its choice, per language, read from a packaged table.

The table (tv_eval/data/choice_markers.toml, keyed by BCP-47) holds data, not code: a language
is added by adding an entry there. Words that are ordinary text in other languages (negation,
clitics, option letters) apply only for the sample's language, or, when it is not given, for
the languages written in the non-Latin scripts the prediction uses; answer and option markers
of every language always apply, since models often answer in another language than asked.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache, lru_cache
from importlib import resources

import langcodes
import regex

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from tv_eval.scoring.normalization import normalize_answer

# langcodes names a language's usual script with ISO 15924 codes; those for mixed writing
# systems are not Unicode script properties, so they stand for the scripts they combine.
_COMBINED_SCRIPTS = {"Jpan": ("Hira", "Kana", "Hani"), "Kore": ("Hang", "Hani"), "Hans": ("Hani",)}
_COMBINED_SCRIPTS["Hant"] = _COMBINED_SCRIPTS["Hans"]
_LIST_FIELDS = ("answer", "copula", "option", "option_after", "negation", "negation_after")
_LIST_FIELDS += ("prefixes", "initial_drop", "suffixes", "stem_drop")


@dataclass(frozen=True)
class Affixes:
    """What a language writes attached to a word (see the table's header)."""

    prefixes: tuple[str, ...] = ()
    initial_drop: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    stem_drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Markers:
    """Normalized marker words of one or several languages (see the table's header)."""

    answer: tuple[str, ...] = ()
    copula: tuple[str, ...] = ()
    option: tuple[str, ...] = ()
    option_after: tuple[str, ...] = ()
    negation: tuple[str, ...] = ()
    negation_after: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    initial_drop: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    stem_drop: tuple[str, ...] = ()
    letters: tuple[tuple[str, int], ...] = ()

    @property
    def affixes(self) -> Affixes:
        return Affixes(self.prefixes, self.initial_drop, self.suffixes, self.stem_drop)

    def merged(self, other: Markers) -> Markers:
        return self.merged_all((other,))

    def merged_all(self, others: Sequence[Markers], *, ordered: bool = False) -> Markers:
        """This entry merged with each of `others` in turn: the word lists in one pass (their order
        is canonical, so one pass gives what merging one by one gives), the letters one by one (a
        letter two languages place differently is dropped at that step). `ordered`: this entry's
        lists are already distinct and in order (a merge made them), so a list that the others add
        no word to is kept as it is instead of sorted again."""
        values = {
            name: _unique_added(
                getattr(self, name), tuple(word for other in others for word in getattr(other, name)), ordered
            )
            for name in _LIST_FIELDS
        }
        letters = self.letters
        for other in others:
            letters = _merged_letters(letters, other.letters)
        return Markers(**values, letters=letters)


def _unique(words: tuple[str, ...]) -> tuple[str, ...]:
    """Distinct words, longest first, so that an alternation tries the longest one first."""
    return tuple(sorted(dict.fromkeys(word for word in words if word), key=lambda word: (-len(word), word)))


def _unique_added(words: tuple[str, ...], added: tuple[str, ...], ordered: bool) -> tuple[str, ...]:
    """`_unique(words + added)`, without sorting again where `words` is ordered and `added` brings
    nothing new (the table's thousands of answer and option words are merged for every language mix)."""
    if ordered and set(added) <= set(words).union(("",)):
        return words
    return _unique(words + added)


def _merged_letters(
    first: tuple[tuple[str, int], ...], second: tuple[tuple[str, int], ...]
) -> tuple[tuple[str, int], ...]:
    """Letter labels of both; a letter that two languages put at different places is dropped."""
    positions: dict[str, set[int]] = {}
    for letter, index in first + second:
        positions.setdefault(letter, set()).add(index)
    return tuple((letter, indices.pop()) for letter, indices in positions.items() if len(indices) == 1)


@lru_cache(maxsize=1)
def _raw_table() -> dict[str, dict[str, object]]:
    text = (resources.files("tv_eval") / "data" / "choice_markers.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def _entry(code: str) -> Markers:
    """One table entry, with the entries it inherits from."""
    raw = _raw_table()[code]
    own = Markers(
        **{name: tuple(normalize_answer(str(word)) for word in raw.get(name, ())) for name in _LIST_FIELDS},
        letters=tuple(
            (normalize_answer(str(letter)), index) for index, letter in enumerate(raw.get("letters", ()))
        ),
    )
    parent = raw.get("inherit")
    return own.merged(_entry(str(parent))) if parent else own.merged(Markers())


def table_codes() -> tuple[str, ...]:
    """The language codes the table has an entry for."""
    return tuple(_raw_table())


def entry_for(language: str) -> str | None:
    """The table entry a BCP-47 tag uses: the tag itself, else its language subtag."""
    table = _raw_table()
    if language in table:
        return language
    try:
        base = langcodes.standardize_tag(language).split("-")[0]
    except (ValueError, langcodes.tag_parser.LanguageTagError):
        return None
    return base if base in table else None


@cache
def _scripts(code: str) -> tuple[str, ...]:
    """The Unicode scripts (ISO 15924 codes) a language is usually written in."""
    script = langcodes.Language.get(code).maximize().script or ""
    return _COMBINED_SCRIPTS.get(script, (script,)) if script else ()


@cache
def _script_pattern(script: str) -> regex.Pattern[str]:
    return regex.compile(rf"\p{{Script={script}}}")


@lru_cache(maxsize=1)
def _all_languages() -> Markers:
    """The answer, copula and option words of every language in the table."""
    combined = Markers()
    for code in table_codes():
        entry = _entry(code)
        words = Markers(
            answer=entry.answer, copula=entry.copula, option=entry.option, option_after=entry.option_after
        )
        combined = combined.merged(words)
    return combined


@lru_cache(maxsize=1)
def _non_latin_languages() -> tuple[tuple[str, frozenset[str]], ...]:
    """Each table language not written in Latin script, with its scripts."""
    return tuple((code, frozenset(_scripts(code))) for code in table_codes() if "Latn" not in _scripts(code))


@lru_cache(maxsize=1)
def _non_latin_scripts() -> tuple[str, ...]:
    """Every script but Latin that a table language is written in."""
    return tuple(sorted({script for code in table_codes() for script in _scripts(code)} - {"Latn"}))


def _languages_of_scripts(text: str, known: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Table languages written in a non-Latin script that the text uses, other than `known`."""
    if not regex.search(r"[^\p{Latin}\P{L}]", text):
        return ()
    present = {
        script
        for script in _non_latin_scripts()
        if script not in known and _script_pattern(script).search(text)
    }
    return tuple(code for code, scripts in _non_latin_languages() if present.intersection(scripts))


@lru_cache(maxsize=1)
def _base_markers() -> Markers:
    """English and every language's answer and option words: where every reading starts."""
    return _entry("en").merged(_all_languages())


@lru_cache(maxsize=4096)
def _markers_for_languages(codes: tuple[str, ...]) -> Markers:
    return _base_markers().merged_all([_entry(code) for code in codes], ordered=True)


def markers_for(language: str | None, text: str) -> Markers:
    """The markers to read `text` with: English, every language's answer and option words, the
    sample's language, and the languages of the non-Latin scripts in the text that the sample's
    language is not written in (all of them when the language is not given or not known)."""
    code = entry_for(language) if language else None
    if code is None:
        return _markers_for_languages(_languages_of_scripts(text))
    return _markers_for_languages((code, *_languages_of_scripts(text, known=_scripts(code))))


def field_names() -> tuple[str, ...]:
    """The fields a table entry may have (checked by the tests against the table)."""
    return (*tuple(field.name for field in fields(Markers)), "inherit")


def marker_entry_fields(code: str) -> tuple[str, ...]:
    """The fields one table entry sets."""
    return tuple(_raw_table()[code])

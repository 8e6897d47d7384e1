"""Resource tiers: which class of Joshi et al. (2020) a language belongs to, or a user's own map.

Joshi, Santy, Budhiraja, Bali and Choudhury, "The State and Fate of Linguistic Diversity and
Inclusion in the NLP World", ACL 2020 (arXiv:2004.09095). The table ships inside the package
(tv_eval/data/joshi2020, unmodified) so runs never depend on files outside it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import langcodes
import yaml

from tv_eval.core.io import UserFileError, first_line, read_user_text
from tv_eval.data.languages import UnknownLanguageError, normalize_language

UNKNOWN_TIER = "unknown"
JOSHI_CLASSES = ("0", "1", "2", "3", "4", "5")
TIER_GROUPS: Mapping[str, str] = {"0": "low", "1": "low", "2": "low", "3": "mid", "4": "high", "5": "high"}
TIER_GROUP_ORDER = ("high", "mid", "low", UNKNOWN_TIER)

# The table lists some languages only under an individual-language code while benchmarks use the
# macrolanguage (or the reverse); these rules come from tv_eval/data/joshi2020/README.md, plus
# Swahili and Arabic, whose macrolanguage/individual codes name the same language in practice.
MACROLANGUAGE_TO_LISTED = {
    "zho": "cmn",
    "msa": "zlm",
    "nor": "nob",
    "fil": "tgl",
    "pes": "fas",
    "swa": "swh",
    "arb": "ara",
}
# Languages listed only by name in lang2tax.txt under a name langcodes does not produce.
ALPHA3_TO_LISTED_NAME = {"pan": "eastern punjabi"}


class TierMapError(ValueError):
    """A user tier map that cannot be read or has entries we cannot interpret."""


@dataclass(frozen=True)
class TierMap:
    """Language -> tier label. `name` is recorded in results so re-aggregations are traceable."""

    name: str
    by_alpha3: Mapping[str, str]
    by_english_name: Mapping[str, str]
    is_joshi: bool

    def tier_of(self, language: str) -> str:
        """Tier of a BCP-47 tag; variants take their base language's tier; else 'unknown'."""
        try:
            language_tag = langcodes.Language.get(normalize_language(language))
        except UnknownLanguageError:
            return UNKNOWN_TIER
        try:
            alpha3 = language_tag.to_alpha3()
        except LookupError:
            alpha3 = None
        if alpha3 is not None:
            alpha3 = MACROLANGUAGE_TO_LISTED.get(alpha3, alpha3)
            if alpha3 in self.by_alpha3:
                return self.by_alpha3[alpha3]
        english_name = ALPHA3_TO_LISTED_NAME.get(
            alpha3 or "", langcodes.Language.get(language_tag.language).display_name().lower()
        )
        return self.by_english_name.get(english_name, UNKNOWN_TIER)

    def group_of(self, tier: str) -> str:
        """high/mid/low for Joshi classes; user maps have no grouping beyond their labels."""
        if not self.is_joshi:
            return tier
        return TIER_GROUPS.get(tier, UNKNOWN_TIER)

    def tier_order(self) -> list[str]:
        """Highest-resourced first, 'unknown' last, for tables that read top-down."""
        if self.is_joshi:
            return [*reversed(JOSHI_CLASSES), UNKNOWN_TIER]
        return [*sorted(set(self.by_alpha3.values())), UNKNOWN_TIER]


_ESCAPED_PAREN = re.compile(r"\\([()])")


@lru_cache(maxsize=1)
def joshi_tier_map() -> TierMap:
    folder = resources.files("tv_eval") / "data" / "joshi2020"
    by_alpha3: dict[str, str] = {}
    with (folder / "lang2tax_iso639-3.csv").open(encoding="utf-8") as handle:
        # Names contain stray quote characters, so no CSV quoting applies.
        for code, tier_class, _name in csv.reader(handle, quoting=csv.QUOTE_NONE):
            by_alpha3[code.strip()] = tier_class.strip()
    by_name: dict[str, str] = {}
    for line in (folder / "lang2tax.txt").read_text(encoding="utf-8").splitlines():
        name, _, tier_class = line.rpartition(",")
        if name:
            by_name.setdefault(_ESCAPED_PAREN.sub(r"\1", name.strip()), tier_class.strip())
    return TierMap(name="joshi2020", by_alpha3=by_alpha3, by_english_name=by_name, is_joshi=True)


def load_tier_map(path: Path) -> TierMap:
    """A user map from TOML or YAML: either a flat `code = "label"` table or `[tiers]` of it."""
    try:
        text = read_user_text(path, "tier map")
    except UserFileError as error:
        raise TierMapError(str(error)) from error
    try:
        if path.suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise TierMapError(f"tier map {path} must be .toml, .yaml or .yml")
    except TierMapError:
        raise
    except Exception as error:
        raise TierMapError(
            f"tier map {path} is not valid {path.suffix[1:].upper()}: {_syntax_problem(error)}"
        ) from error
    if isinstance(data, dict) and isinstance(data.get("tiers"), dict):
        data = data["tiers"]
    if not isinstance(data, dict) or not data:
        raise TierMapError(f"tier map {path} must map language codes to tier labels")
    by_alpha3: dict[str, str] = {}
    for code, label in data.items():
        if not isinstance(label, str | int) or isinstance(label, bool):
            raise TierMapError(f"tier map {path}: tier of {code!r} must be a string, got {label!r}")
        try:
            alpha3 = langcodes.Language.get(normalize_language(str(code))).to_alpha3()
        except (UnknownLanguageError, LookupError) as error:
            raise TierMapError(f"tier map {path}: {error}") from error
        by_alpha3[MACROLANGUAGE_TO_LISTED.get(alpha3, alpha3)] = str(label)
    return TierMap(name=str(path.name), by_alpha3=by_alpha3, by_english_name={}, is_joshi=False)


def _syntax_problem(error: Exception) -> str:
    """One line: YAML's problem and where (its message spans several lines quoting the text), else
    the first line of the parser's message (TOML's already says where)."""
    mark = getattr(error, "problem_mark", None)
    if isinstance(error, yaml.MarkedYAMLError) and mark is not None:
        return f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return first_line(error)


def order_languages(languages: Iterable[str], tier_map: TierMap) -> list[str]:
    """Highest-resourced tier first, 'unknown' last, then by code: the order of per-language tables."""
    order = tier_map.tier_order()

    def rank(language: str) -> tuple[int, str]:
        tier = tier_map.tier_of(language)
        return (order.index(tier) if tier in order else len(order), language)

    return sorted(set(languages), key=rank)

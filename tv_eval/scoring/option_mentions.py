"""Which options a text names, and which of those it rejects ("not X", "לא X", "X değil")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex

from tv_eval.scoring.choice_markers import Markers
from tv_eval.scoring.term_patterns import joins, may_occur, term_pattern

# A negation reaches over the words of its own clause only: "I'm not sure, Paris" names Paris.
_CLAUSE_BREAK = regex.compile(r"[.,;:!?。，、；：！？()\[\]（）\"«»“”|/\n—–]")


@dataclass(frozen=True)
class Mention:
    option: int
    start: int
    end: int
    negated: bool


def starts_with_word(text: str, word: str) -> bool:
    return text.startswith(word) and (len(text) == len(word) or not joins(word[-1], text[len(word)]))


def ends_with_word(text: str, word: str) -> bool:
    return text.endswith(word) and (len(text) == len(word) or not joins(word[0], text[-len(word) - 1]))


def _clause_before(text: str, start: int) -> str:
    before = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    return before[breaks[-1].end() :] if breaks else before


def _clause_after(text: str, end: int) -> str:
    after = text[end:]
    found = _CLAUSE_BREAK.search(after)
    return after[: found.start()] if found else after


def _negated_before(clause: str, negations: Sequence[str]) -> bool:
    """A negation ends the clause before the option, or ends it but for one word ("not in X")."""
    head = clause.rstrip()
    for _ in range(2):
        if any(ends_with_word(head, word) for word in negations):
            return True
        if " " not in head:
            return False
        head = head[: head.rfind(" ")].rstrip()
    return False


def _negated_after(clause: str, negations: Sequence[str]) -> bool:
    tail = clause.lstrip()
    return any(starts_with_word(tail, word) for word in negations)


def is_negated(text: str, start: int, end: int, markers: Markers) -> bool:
    """Whether the words around text[start:end] reject it."""
    return _negated_before(_clause_before(text, start), markers.negation) or _negated_after(
        _clause_after(text, end), markers.negation_after
    )


def _inside_longer(mention: Mention, mentions: list[Mention]) -> bool:
    """A mention that is part of a longer option's mention ("Trajes de flamenca" in
    "Trajes tradicionales de flamenca" is not, "de flamenca" in it is)."""
    return any(
        other.option != mention.option
        and other.start <= mention.start
        and mention.end <= other.end
        and other.end - other.start > mention.end - mention.start
        for other in mentions
    )


def option_mentions(text: str, options: Sequence[str], markers: Markers) -> list[Mention]:
    """Every place the text names a (normalized) option, with whether it is rejected there."""
    found = [
        Mention(index, match.start(), match.end(), is_negated(text, match.start(), match.end(), markers))
        for index, option in enumerate(options)
        if option and may_occur(option, markers.affixes, text)
        for match in term_pattern(option, markers.affixes).finditer(text)
    ]
    return [mention for mention in found if not _inside_longer(mention, found)]


def chosen_options(mentions: Sequence[Mention]) -> set[int]:
    """The options named at least once without being rejected."""
    return {mention.option for mention in mentions if not mention.negated}

"""Which ALM-Bench data a run reads: the authors' release or one of the TowerVision fork's copies.

The fork (deep-spin/lmms-eval, `lmms_eval/tasks/alm_bench/`) evaluates on
`sonalsannigrahi/alm-bench-lang-split` (one split per English language name) and
`sonalsannigrahi/alm-bench-mcq-subset`, not on `MBZUAI/ALM-Bench`. Their columns beyond the three
the fork reads are UNVERIFIED, so rows from them are read tolerantly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tv_eval.api import TaskConfigError

DATA_OPTION = "data"


@dataclass(frozen=True)
class DataChoice:
    """One entry of the config's `data`: where the rows are and how the paper protocol reads them."""

    name: str
    dataset_id: str
    splits: tuple[str, ...]
    sample_splits: tuple[str, ...]
    language_from_split: bool
    paper_mcq_only: bool
    paper_variant: str
    all_columns: bool


def data_choice(config: Mapping[str, Any], options: Mapping[str, Any], default: str) -> DataChoice:
    """The data the `data` option names (else `default`); an unknown name is a configuration error."""
    known = config["data"]
    name = str(options.get(DATA_OPTION) or default)
    if name not in known:
        raise TaskConfigError(f"alm_bench: unknown data {name!r}; known: {', '.join(known)}")
    entry = known[name]
    splits = tuple(str(split) for split in entry["splits"])
    return DataChoice(
        name=name,
        dataset_id=str(entry["dataset_id"]),
        splits=splits,
        sample_splits=tuple(str(split) for split in entry.get("sample_splits", splits)),
        language_from_split=entry["language_from"] == "split",
        paper_mcq_only=bool(entry["paper_mcq_only"]),
        paper_variant=str(entry["paper_variant"]),
        all_columns=bool(entry["all_columns"]),
    )

"""The regression gate's configuration: thresholds, grouping, correction and identity checks,
from defaults, a gate.toml file and command-line options, in that order of precedence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tv_eval.data.tiers import JOSHI_CLASSES, TIER_GROUPS, UNKNOWN_TIER
from tv_eval.results.statistics import DEFAULT_RESAMPLES

GROUP_LEVELS = ("task", "language", "tier")
CORRECTIONS = ("bonferroni", "none")
IDENTITY_FIELDS = ("prompt", "prediction", "extracted", "status", "scores", "error")
MAX_CHANGES_SHOWN = 20

EXIT_PASS = 0
EXIT_REGRESSION = 1


class UnusableInput(ValueError):
    """Runs that cannot be compared, or a gate configuration that cannot work (exit code 2)."""


@dataclass(frozen=True)
class GateConfig:
    """Thresholds are in percentage points of the task's primary metric."""

    max_drop: float = 1.0
    alpha: float = 0.05
    by: str = "language"
    correction: str = "bonferroni"
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = 0
    task_max_drop: Mapping[str, float] = field(default_factory=dict)
    tier_max_drop: Mapping[str, float] = field(default_factory=dict)
    identical: tuple[str, ...] = ()
    same_samples: bool = False
    allow_missing: bool = False
    # Pass groups where nothing could be compared (no sample carries the primary metric in either run).
    allow_untested: bool = False
    # Metrics tested beside each task's primary one, where the baseline declares them (answer_language).
    also_metrics: tuple[str, ...] = ()

    def validate(self) -> GateConfig:
        if self.by not in GROUP_LEVELS:
            raise UnusableInput(f"--by must be one of {', '.join(GROUP_LEVELS)}, got {self.by!r}")
        if not 0 < self.alpha < 1:
            raise UnusableInput(f"alpha must be between 0 and 1, got {self.alpha}")
        if self.correction not in CORRECTIONS:
            raise UnusableInput(
                f"correction must be one of {', '.join(CORRECTIONS)}, got {self.correction!r}"
            )
        if self.n_resamples < 100:
            raise UnusableInput(f"resamples must be at least 100, got {self.n_resamples}")
        thresholds = [self.max_drop, *self.task_max_drop.values(), *self.tier_max_drop.values()]
        if any(value < 0 for value in thresholds):
            raise UnusableInput("drop thresholds are points of decrease and must not be negative")
        unknown = sorted(set(self.identical) - set(IDENTITY_FIELDS))
        if unknown:
            raise UnusableInput(
                f"unknown identical field(s) {', '.join(unknown)}; known: {', '.join(IDENTITY_FIELDS)}"
            )
        return self

    def threshold(self, task: str, tier: str | None) -> float:
        """Most specific wins: the tier's class, then its group (high/mid/low), then the task, then global."""
        if tier is not None:
            for label in (tier, TIER_GROUPS.get(tier)):
                if label is not None and label in self.tier_max_drop:
                    return self.tier_max_drop[label]
        return self.task_max_drop.get(task, self.max_drop)


_CONFIG_KEYS = {
    "max_drop": (int, float),
    "alpha": (int, float),
    "by": str,
    "correction": str,
    "resamples": int,
    "seed": int,
    "identical": list,
    "same_samples": bool,
    "allow_missing": bool,
    "allow_untested": bool,
    "tasks": dict,
    "tiers": dict,
    "also_metrics": list,
}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnusableInput(f"{where} must be a number, got {value!r}")
    return float(value)


def load_gate_config(path: Path) -> dict[str, Any]:
    """GateConfig fields from a TOML file; unknown keys and wrong types are errors, not ignored."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UnusableInput(f"cannot read gate config {path}: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise UnusableInput(f"gate config {path} is not valid TOML: {error}") from error
    values: dict[str, Any] = {}
    for key, value in data.items():
        expected = _CONFIG_KEYS.get(key)
        if expected is None:
            raise UnusableInput(f"gate config {path}: unknown key {key!r}; known: {', '.join(_CONFIG_KEYS)}")
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            raise UnusableInput(f"gate config {path}: {key} has the wrong type ({value!r})")
        if key in ("max_drop", "alpha"):
            values[key] = float(value)
        elif key == "resamples":
            values["n_resamples"] = value
        elif key in ("identical", "also_metrics"):
            values[key] = tuple(str(item) for item in value)
        elif key == "tasks":
            task_drops = {}
            for task, table in value.items():
                if not isinstance(table, dict) or set(table) != {"max_drop"}:
                    raise UnusableInput(f"gate config {path}: [tasks.{task}] must set only max_drop")
                task_drops[task] = _number(table["max_drop"], f"[tasks.{task}] max_drop")
            values["task_max_drop"] = task_drops
        elif key == "tiers":
            known = {*JOSHI_CLASSES, "high", "mid", "low", UNKNOWN_TIER}
            tier_drops = {}
            for tier, drop in value.items():
                if tier not in known:
                    raise UnusableInput(
                        f"gate config {path}: unknown tier {tier!r} in [tiers]; "
                        "use 0-5, high, mid, low, unknown"
                    )
                tier_drops[tier] = _number(drop, f"[tiers] {tier}")
            values["tier_max_drop"] = tier_drops
        else:
            values[key] = value
    return values


def build_config(file_values: Mapping[str, Any], overrides: Mapping[str, Any]) -> GateConfig:
    """Defaults, then the config file, then command-line options that were given (not None)."""
    merged = {**file_values, **{key: value for key, value in overrides.items() if value is not None}}
    return GateConfig(**merged).validate()

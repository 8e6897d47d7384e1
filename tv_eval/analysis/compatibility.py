"""Whether two runs can be compared sample by sample, before the gate tests anything.

Runs that differ in tasks, datasets, scoring modes, prompt templates or metric definitions (the
specs in results.json), or whose shared samples have different references, are unusable input: a
paired test on them would measure the change of protocol, not of the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tv_eval.analysis.gate_config import GateConfig, UnusableInput
from tv_eval.core.metrics import MetricSpec, specs_of_task
from tv_eval.core.types import ScoredSample
from tv_eval.results.run_loading import RunData


def _dataset_label(task: Mapping[str, Any]) -> str:
    dataset = task["dataset"]
    return f"{dataset.get('dataset_id')} split {dataset.get('split')} revision {dataset.get('revision')}"


def _definition(spec: MetricSpec) -> tuple[str, str, str, bool, bool]:
    """What makes two runs' numbers of one metric comparable (descriptions may differ)."""
    return (spec.name, spec.kind.value, spec.scale.value, spec.higher_is_better, spec.primary)


def _metric_reasons(name: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    reasons = []
    for key, what in (("scoring", "scoring modes"), ("prompts_hash", "prompt templates (hash)")):
        if before.get(key) != after.get(key):
            reasons.append(f"{name}: different {what} ({before.get(key)} vs {after.get(key)})")
    specs_before, specs_after = specs_of_task(before), specs_of_task(after)
    primary_before = next((spec.name for spec in specs_before if spec.primary), None)
    primary_after = next((spec.name for spec in specs_after if spec.primary), None)
    if primary_before != primary_after:
        reasons.append(f"{name}: different primary metrics ({primary_before} vs {primary_after})")
    elif sorted(map(_definition, specs_before)) != sorted(map(_definition, specs_after)):
        reasons.append(
            f"{name}: different metric definitions ({', '.join(sorted(s.name for s in specs_before))} vs "
            f"{', '.join(sorted(s.name for s in specs_after))})"
        )
    return reasons


def _dataset_reasons(name: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Fingerprints are compared for Hub sources only. Local folders and the bundled sample now get a
    digest of their content, but runs recorded before that carry one derived from file paths and
    modification times, which differs between two checkouts of identical data; their content is
    checked through the references of the shared samples instead."""
    if _dataset_label(before) != _dataset_label(after):
        return [f"{name}: different datasets ({_dataset_label(before)} vs {_dataset_label(after)})"]
    fingerprints = before["dataset"].get("fingerprint"), after["dataset"].get("fingerprint")
    hub = before["dataset"].get("source") == after["dataset"].get("source") == "hub"
    if hub and fingerprints[0] != fingerprints[1]:
        return [f"{name}: different dataset fingerprints ({fingerprints[0]} vs {fingerprints[1]})"]
    return []


def _sample_reasons(
    task: str, baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample], config: GateConfig
) -> list[str]:
    candidate_by_id = {record.sample_id: record for record in candidate}
    shared = [record for record in baseline if record.sample_id in candidate_by_id]
    if not shared:
        return [f"{task}: the runs share no sample ids"]
    reasons = []
    differing = [r.sample_id for r in shared if r.reference != candidate_by_id[r.sample_id].reference]
    if differing:
        reasons.append(
            f"{task}: {len(differing)} shared samples have different references (e.g. {differing[0]}); "
            "the data changed"
        )
    if config.same_samples:
        baseline_ids = {record.sample_id for record in baseline}
        if baseline_ids != set(candidate_by_id):
            only_baseline = len(baseline_ids - set(candidate_by_id))
            only_candidate = len(set(candidate_by_id) - baseline_ids)
            reasons.append(
                f"{task}: different sample sets ({only_baseline} only in baseline, "
                f"{only_candidate} only in candidate) and same_samples is set"
            )
    return reasons


def check_compatible(baseline: RunData, candidate: RunData, config: GateConfig) -> None:
    """Raise UnusableInput listing every reason the two runs cannot be compared sample by sample."""
    reasons: list[str] = []
    base_tasks, cand_tasks = set(baseline.task_names), set(candidate.task_names)
    if base_tasks != cand_tasks:
        reasons.append(
            f"different tasks: baseline has {', '.join(sorted(base_tasks))}, "
            f"candidate has {', '.join(sorted(cand_tasks))}"
        )
    for name in sorted(base_tasks & cand_tasks):
        before, after = baseline.task(name), candidate.task(name)
        reasons += _dataset_reasons(name, before, after)
        reasons += _metric_reasons(name, before, after)
        reasons += _sample_reasons(name, baseline.records[name], candidate.records[name], config)
    if reasons:
        raise UnusableInput("runs cannot be compared: " + "; ".join(reasons))

"""Records of hand-made pair sets, in the metadata layouts that link an item to its pivot answer.

`pivot_pair_records` builds what `alm_bench.pivot_pairs=true` writes (a target item with a
`pair_key`, and a pivot sample in English marked `pair_role: pivot`); `parallel_records` what a
benchmark parallel by id writes (ordinary samples of every language sharing a `parallel_id`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map


def record(
    sample_id: str,
    language: str,
    value: float | None,
    *,
    cluster: str,
    metadata: Mapping[str, str] | None = None,
    metric: str = "accuracy",
    task: str = "alm_bench",
) -> ScoredSample:
    """A scored record (a failed one where `value` is None)."""
    scored = value is not None
    return ScoredSample(
        sample_id=sample_id,
        task=task,
        language=language,
        tier=joshi_tier_map().tier_of(language),
        status=SampleStatus.SCORED if scored else SampleStatus.FAILED,
        prompt=f"user: <image>{sample_id}",
        prediction="A" if scored else None,
        reference="A",
        scores={metric: value} if scored else {},
        error=None if scored else "no response",
        cluster_id=cluster,
        question_type="mcq",
        metadata=dict(metadata or {}),
    )


def pivot_pair_records(
    items: Mapping[str, Sequence[tuple[float | None, float | None]]], *, per_image: int = 2
) -> list[ScoredSample]:
    """Per target language, items (target value, pivot value); a None pivot value means the item has
    no pivot sample, a None target value that the target failed. Items share images `per_image`."""
    records = []
    for language, values in items.items():
        for index, (target, pivot) in enumerate(values):
            item_id = f"{language}-{index:03d}"
            cluster = f"{language}-img-{index // per_image}"
            records.append(record(item_id, language, target, cluster=cluster, metadata={"pair_key": item_id}))
            if pivot is not None:
                marks = {"pair_key": item_id, "pair_role": "pivot", "pivot_for": language}
                records.append(record(f"{item_id}/pivot-en", "en", pivot, cluster=cluster, metadata=marks))
    return records


def native_records(language: str, values: Sequence[float], prefix: str = "native") -> list[ScoredSample]:
    """A language's own items, without any pairing (ALM-Bench's English rows)."""
    return [
        record(f"{prefix}-{language}-{index:03d}", language, value, cluster=f"{prefix}-{language}-{index}")
        for index, value in enumerate(values)
    ]


def parallel_records(values: Mapping[str, Sequence[float]], task: str = "xgqa") -> list[ScoredSample]:
    """Item i of every language shares parallel id `q<i>` and image `img<i>`."""
    return [
        record(
            f"{language}-{index:03d}",
            language,
            value,
            cluster=f"img{index}",
            metadata={"parallel_id": f"q{index}"},
            task=task,
        )
        for language, language_values in values.items()
        for index, value in enumerate(language_values)
    ]

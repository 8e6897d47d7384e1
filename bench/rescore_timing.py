"""Time `tv-eval score` on a run of 1,000 saved predictions (no model, no dataset).

Builds the run directory from the bundled ALM-Bench sample: real samples, predictions made up
to exercise the extractor (option text, letters, free text, true/false words, empty answers).
Usage: python bench/rescore_timing.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from tasks.alm_bench.task import AlmBenchTask
from tv_eval.core.io import atomic_write_json
from tv_eval.core.task import DataSource
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.records import score_sample
from tv_eval.pipeline.rescoring import rescore_run

SAMPLES = 1000


def _prediction(index: int, reference: str, choices: tuple[str, ...]) -> str:
    forms = [
        reference,
        f"The answer is {reference}.",
        "B",
        f"Final Answer: {choices[0] if choices else 'Yes'}",
        "I am not sure",
        "No.",
        "",
    ]
    return forms[index % len(forms)]


def build_run(run_dir: Path) -> None:
    task = AlmBenchTask()
    loaded = task.load(DataSource(use_sample=True), joshi_tier_map())
    lines = []
    for index in range(SAMPLES):
        sample = loaded.samples[index % len(loaded.samples)]
        sample = type(sample)(**{**vars(sample), "sample_id": f"{sample.sample_id}-{index}"})
        record = score_sample(
            task, sample, "robust", "prompt", _prediction(index, sample.reference, sample.choices), None
        )
        lines.append(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    run_dir.mkdir(parents=True)
    (run_dir / "samples.jsonl").write_text("".join(lines), encoding="utf-8")
    atomic_write_json(
        run_dir / "run.json",
        {
            "run_id": run_dir.name,
            "status": "complete",
            "smoke_run": True,
            "seed": 0,
            "tier_map": "joshi2020",
            "model": {"name": "bench", "adapter": "none", "model_id": "bench"},
            "tasks": {
                "alm_bench": {
                    "scoring": "robust",
                    "prompts_hash": task.prompts_hash(),
                    "dataset": vars(loaded.dataset),
                }
            },
        },
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder) / "bench-run"
        build_run(run_dir)
        timings = []
        for scoring in ("paper", "robust", "paper", "robust"):
            started = time.perf_counter()
            rescore_run(run_dir, scoring, None)
            timings.append(time.perf_counter() - started)
        print(
            f"re-scored {SAMPLES} saved predictions: best {min(timings):.2f} s, "
            f"all {', '.join(f'{t:.2f}' for t in timings)} s (scoring + aggregation with 1,000-resample CIs)"
        )


if __name__ == "__main__":
    main()

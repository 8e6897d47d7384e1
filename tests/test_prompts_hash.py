"""The prompt-template hashes runs record: a known value, stable across processes and order, and moved by
any change of a template.

The gate refuses to compare runs whose hashes differ, so a hash that never changes hides a prompt change
and one that changes between processes makes every comparison unusable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping

from tasks.alm_bench.task import AlmBenchTask
from tests.conftest import REPO_ROOT
from tv_eval.judge.protocols import lave_protocol, video_qa_protocol

# What the committed CI baseline (results/baselines/tiny-random-alm_bench-sample) recorded for ALM-Bench.
ALM_BENCH_HASH = "0ee6b2e3365a1399"
# LAVE's protocol as recorded in results.json (`judge.prompt_template_hash`) by runs judged with it.
LAVE_HASH = "a1084bb18b43e6bd"
BASELINE_RESULTS = REPO_ROOT / "results" / "baselines" / "tiny-random-alm_bench-sample" / "results.json"


class _Templates(AlmBenchTask):
    """ALM-Bench with its templates replaced, to see how the hash follows them."""

    def __init__(self, templates: Mapping[str, str]) -> None:
        super().__init__()
        self._templates = dict(templates)

    def prompt_templates(self) -> Mapping[str, str]:
        return self._templates


def test_alm_bench_hash_is_the_one_the_baseline_recorded() -> None:
    assert AlmBenchTask().prompts_hash() == ALM_BENCH_HASH
    recorded = json.loads(BASELINE_RESULTS.read_text(encoding="utf-8"))["tasks"]["alm_bench"]["prompts_hash"]
    assert recorded == ALM_BENCH_HASH


def test_hash_of_known_templates_is_sha256_of_their_sorted_json() -> None:
    """Computed here by hand: the first 16 hex digits of SHA-256 over the key-sorted JSON text."""
    templates = {"b": "Answer in {language}.", "a": "{question}\nOptions: é"}
    canonical = '{"a": "{question}\\nOptions: é", "b": "Answer in {language}."}'
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    assert _Templates(templates).prompts_hash() == expected


def test_hash_is_stable_across_processes() -> None:
    code = "from tasks.alm_bench.task import AlmBenchTask; print(AlmBenchTask().prompts_hash())"
    seen = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120
        )
        assert result.returncode == 0, result.stderr
        seen.add(result.stdout.strip())
    assert seen == {ALM_BENCH_HASH}


def test_hash_ignores_template_order_and_follows_every_template() -> None:
    templates = dict(AlmBenchTask().prompt_templates())
    assert len(templates) == 4
    assert _Templates(dict(reversed(list(templates.items())))).prompts_hash() == ALM_BENCH_HASH
    hashes = {ALM_BENCH_HASH}
    for name, text in templates.items():
        hashes.add(_Templates({**templates, name: text + " "}).prompts_hash())
    renamed = {("mcq_v2" if name == "mcq" else name): text for name, text in templates.items()}
    hashes.add(_Templates(renamed).prompts_hash())
    assert len(hashes) == len(templates) + 2


def test_judge_protocol_hash_is_known_and_follows_its_parts() -> None:
    base = lave_protocol()
    assert base.templates_hash() == LAVE_HASH
    changed = {
        base.templates_hash(),
        dataclasses.replace(base, system=(base.system or "") + " ").templates_hash(),
        dataclasses.replace(base, parser="other").templates_hash(),
        dataclasses.replace(
            base, templates={name: text + "!" for name, text in base.templates.items()}
        ).templates_hash(),
        video_qa_protocol().templates_hash(),
    }
    assert len(changed) == 5

"""`tv-eval run` against the fault-injecting server (tests/openai_server.py), for tests and bench/.

Runs go through the real CLI in a subprocess, on ALM-Bench's bundled sample repeated to as many rows
as a measurement needs (fresh IDs, same questions), and throughput is counted where the server sees
it: answers sent per second from the first request's arrival, so start-up and scoring are left out.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT, run_cli
from tests.openai_server import canned, serve

SAMPLE_FILE = REPO_ROOT / "tasks" / "alm_bench" / "sample" / "test-00000-of-00001.parquet"
# The steady rate: the first 90% of the answers, before the last requests' retries trail off.
STEADY_SHARE = 0.9


def replicated_alm_bench(folder: Path, rows: int) -> Path:
    """A --data-dir folder holding the bundled sample's rows repeated to `rows` rows, each copy with
    fresh IDs and its questions numbered, so no two rows make the same request (the cache would
    answer a repeated one)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(SAMPLE_FILE)
    copies = []
    for copy in range(-(-rows // table.num_rows)):
        renamed = table
        for column, suffix in (("ID", f"-copy{copy}"), ("English_Question", f" ({copy})")):
            renamed = renamed.set_column(
                table.schema.get_field_index(column),
                column,
                pa.array([f"{value}{suffix}" for value in table.column(column).to_pylist()]),
            )
        translated = table.column("Translated_Question").to_pylist()
        copies.append(
            renamed.set_column(
                table.schema.get_field_index("Translated_Question"),
                "Translated_Question",
                pa.array([f"{value} ({copy})" if value else value for value in translated]),
            )
        )
    folder.mkdir(parents=True, exist_ok=True)
    merged = pa.concat_tables(copies).slice(0, rows).replace_schema_metadata(table.schema.metadata)
    pq.write_table(merged, folder / SAMPLE_FILE.name)
    return folder


@dataclass(frozen=True)
class Measurement:
    """One run: the server's steady answers per second, what it saw, and how the run ended."""

    answers_per_second: float
    answered: int
    attempts: int
    injected: int
    max_in_flight: int
    result: subprocess.CompletedProcess[str]


def measure_run(
    data_dir: Path, workdir: Path, *, concurrency: int, latency_s: float, fault_rate: float
) -> Measurement:
    """`tv-eval run --model openai:served` on every row of `data_dir`, against a server that answers
    after `latency_s` and fails `fault_rate` of the requests with a 500."""
    with serve(canned("A"), latency_s=latency_s, fault_rate=fault_rate) as server:
        result = run_cli(
            [
                "run",
                "--model",
                "openai:served",
                "--base-url",
                server.base_url,
                "--tasks",
                "alm_bench",
                "--data-dir",
                str(data_dir),
                "--concurrency",
                str(concurrency),
                "--output-dir",
                str(workdir / "runs"),
                "--cache-dir",
                str(workdir / "cache"),
            ],
            workdir / "model-cache",
            timeout=600,
            extra_env={"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""},
        )
        state = server.state
        return Measurement(
            answers_per_second=server.answers_per_second(STEADY_SHARE),
            answered=state.answered,
            attempts=state.attempts,
            injected=state.injected,
            max_in_flight=state.max_in_flight,
            result=result,
        )

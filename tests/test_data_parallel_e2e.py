"""`--data-parallel N` through the real CLI: the same records and results as one process, whichever
worker answered what, for generated answers (ALM-Bench) and log-likelihoods (CoMMuTE)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import records_of, run_cli, start_cli

COMMAND = ["run", "--model", "tiny-random", "--tasks", "alm_bench,commute", "--sample", "--seed", "0"]
COMMAND += ["--batch-size", "4", "--device", "cpu", "--no-cache"]


def only_run(output: Path) -> Path:
    (run_dir,) = [path for path in output.iterdir() if path.is_dir()]
    return run_dir


def results_without_run_id(run_dir: Path) -> dict:
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    results.pop("run_id")
    return results


@pytest.mark.slow
def test_one_and_two_workers_give_the_records_and_results_of_one_process(
    tmp_path: Path, tv_eval_cache: Path
) -> None:
    single = run_cli([*COMMAND, "--output-dir", str(tmp_path / "one")], tv_eval_cache, timeout=600)
    assert single.returncode == 0, single.stderr
    pooled = run_cli(
        [*COMMAND, "--output-dir", str(tmp_path / "two"), "--data-parallel", "2"], tv_eval_cache, timeout=600
    )
    assert pooled.returncode == 0, pooled.stderr
    one, two = only_run(tmp_path / "one"), only_run(tmp_path / "two")
    records = records_of(two)
    assert records == records_of(one)
    assert {record["task"] for record in records} == {"alm_bench", "commute"}
    assert results_without_run_id(two) == results_without_run_id(one)
    run_record = json.loads((two / "run.json").read_text(encoding="utf-8"))
    assert run_record["execution"]["workers"] == 2
    assert run_record["execution"]["placement"] == "processes"
    assert run_record["execution"]["model_ready_s"] > 0
    assert (
        run_record["generation"]["generated"]
        == json.loads((one / "run.json").read_text())["generation"]["generated"]
    )
    single_record = json.loads((one / "run.json").read_text())["execution"]
    assert (single_record["workers"], single_record["placement"]) == (1, "process")
    assert single_record["model_ready_s"] > 0
    # `--data-parallel 1`: the model in one worker process, started before the data is read.
    moved_command = [*COMMAND, "--output-dir", str(tmp_path / "moved"), "--data-parallel", "1"]
    moved = run_cli(moved_command, tv_eval_cache, timeout=600)
    assert moved.returncode == 0, moved.stderr
    assert records_of(only_run(tmp_path / "moved")) == records_of(one)
    assert results_without_run_id(only_run(tmp_path / "moved")) == results_without_run_id(one)
    moved_record = json.loads((only_run(tmp_path / "moved") / "run.json").read_text())["execution"]
    assert (moved_record["workers"], moved_record["placement"]) == (1, "processes")


def test_data_that_fails_to_load_stops_the_workers_started_early(tmp_path: Path, tv_eval_cache: Path) -> None:
    broken = tmp_path / "data"
    broken.mkdir()
    (broken / "test-00000-of-00001.parquet").write_bytes(b"not parquet")
    command = ["run", "--model", "tiny-random", "--tasks", "alm_bench", "--data-dir", str(broken)]
    started = start_cli([*command, "--data-parallel", "1", "--no-cache"], tv_eval_cache)
    children: set[int] = set()
    while started.poll() is None:
        try:
            children |= {child.pid for child in psutil.Process(started.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    _, stderr = started.communicate(timeout=120)
    assert started.returncode == 2, stderr
    assert "is not a readable parquet file" in stderr
    assert children, "no worker process was started before the data was read"
    deadline = time.monotonic() + 15
    while any(psutil.pid_exists(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if psutil.pid_exists(pid)], "a worker outlived the run"


def test_bad_worker_counts_and_devices_stop_before_any_work(tmp_path: Path, tv_eval_cache: Path) -> None:
    output = tmp_path / "runs"
    zero = run_cli([*COMMAND, "--output-dir", str(output), "--data-parallel", "0"], tv_eval_cache)
    assert zero.returncode == 2
    assert "--data-parallel must be a positive integer or 'auto', got '0'" in zero.stderr
    one_gpu = run_cli(
        [*COMMAND, "--output-dir", str(output), "--data-parallel", "2", "--device", "cuda:1"],
        tv_eval_cache,
        extra_env={"CUDA_VISIBLE_DEVICES": "0,1"},
    )
    assert one_gpu.returncode == 2
    assert "names one GPU" in one_gpu.stderr
    too_many = run_cli(
        [*COMMAND, "--output-dir", str(output), "--data-parallel", "3", "--device", "cuda"],
        tv_eval_cache,
        extra_env={"CUDA_VISIBLE_DEVICES": "0,1"},
    )
    assert too_many.returncode == 2
    assert "3 workers x 1 GPUs each need 3 GPUs; 2 are visible" in too_many.stderr
    assert not output.exists() or not any(output.iterdir())


@pytest.mark.slow
def test_ctrl_c_while_the_workers_load_stops_them_all_and_leaves_a_resumable_run(
    tmp_path: Path, tv_eval_cache: Path
) -> None:
    """The interrupt reaches the driver while its workers are still loading the model: it must not wait
    on them (a run that hung here once), and none may outlive it. The workers start before the data is
    read, so the interrupt waits for the run directory."""
    output = tmp_path / "runs"
    command = [*COMMAND, "--output-dir", str(output), "--data-parallel", "2"]
    process = start_cli(command, tv_eval_cache)
    driver = psutil.Process(process.pid)
    deadline = time.monotonic() + 120
    while len(driver.children(recursive=True)) < 2 or not list(output.glob("*/run.json")):
        assert time.monotonic() < deadline and process.poll() is None, "the workers never started"
        time.sleep(0.05)
    workers = driver.children(recursive=True)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "resume with: tv-eval run --resume" in stderr
    assert "Traceback" not in stderr
    # Every child (workers, multiprocessing's resource tracker) is gone within moments of the driver.
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, [" ".join(process.cmdline()[:4]) for process in alive]
    run_dir = only_run(output)
    assert json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["status"] == "interrupted"

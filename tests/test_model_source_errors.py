"""A model that is nowhere fails in one line before anything loads, not after minutes of retries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tv_eval.core import revisions
from tv_eval.core.revisions import RevisionError, hub_model_is_local_only, resolve_model_revision

SHA = "3" * 40


def _run(model: str, tmp_path: Path, env: dict[str, str | None] | None = None):
    out = tmp_path / "runs"
    result = run_cli(
        ["run", "--model", model, "--tasks", "alm_bench", "--sample", "--output-dir", str(out)],
        tmp_path / "cache",
        extra_env=env,
    )
    assert result.returncode == 2, result.stderr
    assert not out.exists() or not any(out.iterdir()), "no run directory for a model that is nowhere"
    assert "Traceback" not in result.stderr and "Retry" not in result.stderr
    return result.stderr.strip()


def test_a_missing_local_folder_is_named_as_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    assert _run(f"hf:{missing}", tmp_path) == f"error: no model folder {missing}: no such directory"


def test_an_uncached_hub_id_offline_says_so(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    stderr = _run("hf:org/missing-model", tmp_path, {"HF_HUB_CACHE": str(hub)})
    assert stderr == (
        f"error: org/missing-model is not a local folder and not in the Hugging Face cache {hub}, "
        "and HF_HUB_OFFLINE is set"
    )


def test_an_unreachable_hub_without_a_cached_copy_fails_at_once(tmp_path: Path) -> None:
    env = {"HF_HUB_OFFLINE": None, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": str(tmp_path / "hub")}
    stderr = _run("hf:org/missing-model", tmp_path, env)
    assert stderr.startswith("error: org/missing-model is not a local folder and not in the Hugging Face")
    assert "the Hugging Face Hub cannot be reached (" in stderr
    assert len(stderr.splitlines()) == 1


def _hub_cache_with(tmp_path: Path, repo_id: str) -> Path:
    repo = tmp_path / f"models--{repo_id.replace('/', '--')}"
    (repo / "snapshots" / SHA).mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(SHA)
    return tmp_path


def _hub_says(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    from huggingface_hub import HfApi

    def repo_info(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(HfApi, "repo_info", repo_info)
    revisions._ask_hub_online.cache_clear()


def test_an_unreachable_hub_with_a_cached_copy_loads_it_without_downloads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(_hub_cache_with(tmp_path, "org/cached")))
    _hub_says(monkeypatch, ConnectionError("[Errno -2] Name or service not known"))
    assert resolve_model_revision("org/cached", None) == SHA
    assert hub_model_is_local_only("org/cached", None)
    unreachable = r"org/other is not a local folder .* cannot be reached \(\[Errno -2\]"
    with pytest.raises(RevisionError, match=unreachable):
        resolve_model_revision("org/other", None)


def test_a_repository_the_hub_does_not_know_is_not_looked_for_in_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import httpx
    from huggingface_hub.errors import RepositoryNotFoundError

    response = httpx.Response(404, request=httpx.Request("GET", "https://huggingface.co/api/models/org/gone"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    _hub_says(monkeypatch, RepositoryNotFoundError("404", response=response))
    with pytest.raises(RevisionError, match=r"^the Hugging Face Hub has no model org/gone .*HF_TOKEN\)"):
        resolve_model_revision("org/gone", None)
    assert not hub_model_is_local_only("org/gone", None)

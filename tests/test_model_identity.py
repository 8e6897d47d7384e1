"""The cache follows the model's content: a retrained local checkpoint or a Hub update misses the cache.

End to end through the real CLI on the tiny random LLaVA: saved to a local folder (`hf:<path>`) and
laid out as a Hugging Face Hub cache snapshot (`towervision-9b` resolved offline from `refs/main`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model_adapters.tiny_random import build_tiny_model
from model_adapters.transformers_adapter import TransformersAdapter
from tests.conftest import run_cli
from tv_eval.core.adapter import AdapterSettings, ModelLoadError
from tv_eval.core.registry import resolve_model
from tv_eval.core.revisions import checkpoint_files, resolve_hub_revision, resolve_model_revision
from tv_eval.core.types import GenerationParams, Message, Request, TextPart
from tv_eval.pipeline.cache import request_key

pytest.importorskip("torch")
pytest.importorskip("safetensors")

LIMIT = 4
SHA_OLD = "1" * 40
SHA_NEW = "2" * 40


def change_one_weight(checkpoint: Path) -> None:
    """Rewrite the checkpoint's safetensors file in place with one element of one tensor changed."""
    from safetensors.torch import load_file, save_file

    path = checkpoint / "model.safetensors"
    tensors = load_file(path)
    name = sorted(tensors)[0]
    tensors[name].view(-1)[0] += 1.0
    save_file(tensors, path, metadata={"format": "pt"})


def run_alm(model: str, root: Path, cache: Path, name: str, extra_env: dict[str, str] | None = None) -> dict:
    out = root / name
    args = ["run", "--model", model, "--tasks", "alm_bench", "--sample", "--limit", str(LIMIT)]
    result = run_cli([*args, "--output-dir", str(out), "--cache-dir", str(cache)], cache, extra_env=extra_env)
    assert result.returncode == 0, result.stderr
    (run_dir,) = out.iterdir()
    return json.loads((run_dir / "run.json").read_text())


def hub_snapshot(hub_cache: Path, repo_id: str, sha: str, source: Path) -> None:
    """`source`'s files as snapshot `sha` of `repo_id` in a Hugging Face hub cache, with refs/main on it."""
    repo = hub_cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(source, repo / "snapshots" / sha)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(sha)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "ckpt")


@pytest.mark.slow
def test_local_checkpoint_changed_in_place_regenerates_every_answer(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, checkpoint)
    cache = tmp_path / "cache"
    model = f"hf:{checkpoint}"

    first = run_alm(model, tmp_path, cache, "first")
    samples = first["tasks"]["alm_bench"]["num_samples"]
    assert first["generation"] == {"generated": samples, "from_cache": 0, "model_loaded": True}

    unchanged = run_alm(model, tmp_path, cache, "unchanged")
    assert unchanged["generation"] == {"generated": 0, "from_cache": samples, "model_loaded": False}
    assert unchanged["model"]["revision"] == first["model"]["revision"]

    change_one_weight(checkpoint)
    retrained = run_alm(model, tmp_path, cache, "retrained")
    assert retrained["generation"] == {"generated": samples, "from_cache": 0, "model_loaded": True}
    assert first["model"]["revision"].startswith("sha256:")
    assert retrained["model"]["revision"] != first["model"]["revision"]


@pytest.mark.slow
def test_alias_after_a_hub_update_regenerates_every_answer(tiny_checkpoint: Path, tmp_path: Path) -> None:
    hub_cache = tmp_path / "hub"
    repo_id = resolve_model("towervision-9b").model_id
    hub_snapshot(hub_cache, repo_id, SHA_OLD, tiny_checkpoint)
    env = {"HF_HUB_CACHE": str(hub_cache), "HF_HUB_OFFLINE": "1"}
    cache = tmp_path / "cache"

    first = run_alm("towervision-9b", tmp_path, cache, "first", env)
    samples = first["tasks"]["alm_bench"]["num_samples"]
    assert first["generation"]["generated"] == samples

    updated = tmp_path / "updated"
    shutil.copytree(tiny_checkpoint, updated)
    change_one_weight(updated)
    hub_snapshot(hub_cache, repo_id, SHA_NEW, updated)  # the Hub moved main; the old snapshot stays
    second = run_alm("towervision-9b", tmp_path, cache, "second", env)
    assert second["generation"] == {"generated": samples, "from_cache": 0, "model_loaded": True}
    assert (first["model"]["revision"], second["model"]["revision"]) == (SHA_OLD, SHA_NEW)


def _request() -> Request:
    return Request(
        request_id="r",
        messages=(Message(role="user", content=(TextPart("What is shown?"),)),),
        generation=GenerationParams(max_new_tokens=4),
    )


def test_hub_id_keys_on_the_commit_refs_main_points_at(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = tmp_path / "source"
    snapshot.mkdir()
    (snapshot / "config.json").write_text("{}")
    spec = resolve_model("towervision-9b")
    settings = spec.settings(device="cpu", dtype="auto", batch_size=None, seed=0)
    hub_snapshot(tmp_path, spec.model_id, SHA_OLD, snapshot)
    before = TransformersAdapter.cache_identity(settings)
    (tmp_path / f"models--{spec.model_id.replace('/', '--')}" / "refs" / "main").write_text(SHA_NEW)
    after = TransformersAdapter.cache_identity(settings)
    assert (before.revision, after.revision) == (SHA_OLD, SHA_NEW)
    assert request_key(before, _request()) != request_key(after, _request())


def test_explicit_revision_resolves_through_its_ref(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    refs = tmp_path / "models--org--name" / "refs"
    refs.mkdir(parents=True)
    (refs / "v2").write_text(SHA_NEW)
    assert resolve_hub_revision("org/name", "v2") == SHA_NEW
    assert resolve_hub_revision("org/name", SHA_OLD) == SHA_OLD  # a commit is its own revision
    assert resolve_hub_revision("org/uncached", "v3") == "v3"  # offline and not cached: as given


def test_local_digest_ignores_trainer_state_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    before = resolve_model_revision(str(tmp_path), None)
    (tmp_path / "optimizer.pt").write_bytes(b"moments")
    (tmp_path / ".lock").write_text("")
    assert {path.name for path in checkpoint_files(tmp_path)} == {"config.json", "model.safetensors"}
    assert resolve_model_revision(str(tmp_path), None) == before
    (tmp_path / "tokenizer.json").write_text("{}")
    assert resolve_model_revision(str(tmp_path), None) != before


def test_revision_on_a_local_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="local folder"):
        TransformersAdapter.resolve_revision(AdapterSettings(model_id=str(tmp_path), revision="main"))


def test_data_revision_with_the_bundled_sample_stops_the_run(tmp_path: Path) -> None:
    args = ["run", "--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--data-revision", "v2"]
    result = run_cli([*args, "--output-dir", str(tmp_path / "out")], tmp_path / "cache")
    assert result.returncode == 2, result.stderr
    assert "--data-revision v2 applies to Hub datasets" in result.stderr


def test_revision_on_a_local_checkpoint_stops_the_run(tmp_path: Path) -> None:
    checkpoint = tmp_path / "ckpt"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text("{}")
    args = ["run", "--model", f"hf:{checkpoint}", "--revision", "main", "--tasks", "alm_bench", "--sample"]
    result = run_cli([*args, "--output-dir", str(tmp_path / "out")], tmp_path / "cache")
    assert result.returncode == 2, result.stderr
    assert "does not apply to the local folder" in result.stderr

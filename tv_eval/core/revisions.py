"""What a model or dataset name stands for right now: a Hub commit, or a digest of local files.

A name alone is not an identity: `utter-project/TowerVision-9B` means another model after a push
to the Hub, and `/ckpt` another model after training in place. The cache key and run.json carry
the resolved revision instead, so a changed model never reads the old model's answers.

- Hub repositories resolve to the commit their revision (default `main`) points at: asked of the
  Hub when online, read from the local Hugging Face cache (`refs/<revision>`) when offline.
- Local model folders resolve to `sha256:<digest>` of the files `from_pretrained` reads (every
  file at the top of the folder but hidden files and trainer state), each file's digest cached
  by path, size and times (see content_digest).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tv_eval.core.content_digest import files_digest

_COMMIT = re.compile(r"[0-9a-f]{40}")
# Written by transformers' Trainer beside the weights; they do not change what the model says.
_TRAINER_STATE = re.compile(
    r"optimizer\.pt|scheduler\.pt|rng_state.*\.pth|trainer_state\.json|training_args\.bin"
)


class RevisionError(ValueError):
    """A revision that cannot apply (e.g. `--revision` on a local folder)."""


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at call time (tests move it)."""
    configured = os.environ.get("HF_HUB_CACHE")
    if configured:
        return Path(configured)
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def cached_hub_commit(repo_id: str, revision: str | None, repo_type: str = "model") -> str | None:
    """The commit `revision` points at in the local Hugging Face cache, or None when not cached."""
    folder = hub_cache_dir() / f"{repo_type}s--{repo_id.replace('/', '--')}"
    ref = folder / "refs" / (revision or "main")
    if ref.is_file():
        return ref.read_text(encoding="utf-8").strip() or None
    if revision and (folder / "snapshots" / revision).is_dir():
        return revision
    return None


def resolve_hub_revision(repo_id: str, revision: str | None, repo_type: str = "model") -> str | None:
    """The commit hash `revision` of a Hub repository points at; `revision` itself if unresolvable
    (offline and not cached: loading will fail with its own message)."""
    if revision and _COMMIT.fullmatch(revision):
        return revision
    if not _hub_offline():
        try:
            from huggingface_hub import HfApi

            sha = HfApi().repo_info(repo_id, revision=revision, repo_type=repo_type).sha
            if sha:
                return str(sha)
        except Exception:
            pass
    return cached_hub_commit(repo_id, revision, repo_type) or revision


def checkpoint_files(folder: Path) -> list[Path]:
    """The files of a local checkpoint that decide what it says: configs, tokenizer, weights, code."""
    return [
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and not _TRAINER_STATE.fullmatch(path.name)
    ]


def resolve_model_revision(model_id: str, revision: str | None) -> str | None:
    """A local folder's content digest, else the Hub commit of `revision`."""
    folder = Path(model_id).expanduser()
    if folder.is_dir():
        if revision:
            raise RevisionError(
                f"--revision {revision} does not apply to the local folder {model_id}: "
                "a local model is identified by the digest of its files"
            )
        return "sha256:" + files_digest(folder, checkpoint_files(folder))
    return resolve_hub_revision(model_id, revision, "model")

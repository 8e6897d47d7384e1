"""What a model or dataset name stands for right now: a Hub commit, or a digest of local files.

A name alone is not an identity: `utter-project/TowerVision-9B` means another model after a push
to the Hub, and `/ckpt` another model after training in place. The cache key and run.json carry
the resolved revision instead, so a changed model never reads the old model's answers.

- Hub repositories resolve to the commit their revision (default `main`) points at: asked of the
  Hub when online, read from the local Hugging Face cache (`refs/<revision>`) when offline.
- Local model folders resolve to `sha256:<digest>` of the files `from_pretrained` reads (every
  file at the top of the folder but hidden files and trainer state), each file's digest cached
  by path, size and times (see content_digest).

A model that can be neither loaded from a folder nor from the Hub fails here, before any data is
read or the model library imported: a path that is no folder, a Hub id offline and not cached, an
id the Hub does not know, or an unreachable Hub without a cached copy each end in one line, instead
of the minutes of download retries `from_pretrained` spends on them.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tv_eval.core.content_digest import files_digest
from tv_eval.core.io import first_line

_COMMIT = re.compile(r"[0-9a-f]{40}")
# Written by transformers' Trainer beside the weights; they do not change what the model says.
_TRAINER_STATE = re.compile(
    r"optimizer\.pt|scheduler\.pt|rng_state.*\.pth|trainer_state\.json|training_args\.bin"
)


# Long enough for the Hub to answer from anywhere, short enough that no network fails at once.
HUB_PROBE_TIMEOUT_S = 5.0


class RevisionError(ValueError):
    """A revision that cannot apply (e.g. `--revision` on a local folder), or a model that is nowhere."""


@dataclass(frozen=True)
class HubAnswer:
    """What one question to the Hub about a repository said: its commit, that it has no such
    repository or revision, or that it could not be asked (offline mode or no network)."""

    commit: str | None = None
    not_found: str | None = None
    unreachable: str | None = None


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


def ask_hub(repo_id: str, revision: str | None, repo_type: str = "model") -> HubAnswer:
    if _hub_offline():
        return HubAnswer(unreachable="HF_HUB_OFFLINE is set")
    return _ask_hub_online(repo_id, revision, repo_type)


@functools.lru_cache(maxsize=64)
def _ask_hub_online(repo_id: str, revision: str | None, repo_type: str) -> HubAnswer:
    """One question per repository and process: a run asks for the cache key and again at load."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = HfApi().repo_info(repo_id, revision=revision, repo_type=repo_type, timeout=HUB_PROBE_TIMEOUT_S)
    except RevisionNotFoundError:
        return HubAnswer(not_found=f"the Hugging Face Hub has no revision {revision} of {repo_id}")
    except RepositoryNotFoundError:
        return HubAnswer(
            not_found=f"the Hugging Face Hub has no {repo_type} {repo_id} "
            "(a private or gated one needs HF_TOKEN)"
        )
    except Exception as error:
        return HubAnswer(unreachable=f"the Hugging Face Hub cannot be reached ({first_line(error)})")
    return HubAnswer(commit=str(info.sha) if info.sha else None)


def resolve_hub_revision(repo_id: str, revision: str | None, repo_type: str = "model") -> str | None:
    """The commit hash `revision` of a Hub repository points at; `revision` itself if unresolvable
    (offline and not cached: loading will fail with its own message)."""
    if revision and _COMMIT.fullmatch(revision):
        return revision
    answer = ask_hub(repo_id, revision, repo_type)
    return answer.commit or cached_hub_commit(repo_id, revision, repo_type) or revision


def hub_model_is_local_only(model_id: str, revision: str | None) -> bool:
    """True when the Hub cannot be asked: loading must read the cached copy without retrying downloads."""
    return ask_hub(model_id, revision, "model").unreachable is not None


def _looks_like_path(model_id: str) -> bool:
    """A Hub id is `name` or `namespace/name`; anything else the user typed names a folder."""
    return model_id.startswith(("/", "./", "../", "~", ".\\")) or model_id.count("/") > 1 or "\\" in model_id


def _check_hub_model(model_id: str, revision: str | None) -> str | None:
    if revision and _COMMIT.fullmatch(revision):
        return revision
    answer = ask_hub(model_id, revision, "model")
    if answer.not_found:
        raise RevisionError(f"{answer.not_found}; no local folder {model_id} exists either")
    cached = cached_hub_commit(model_id, revision, "model")
    if answer.unreachable and cached is None:
        raise RevisionError(
            f"{model_id} is not a local folder and not in the Hugging Face cache {hub_cache_dir()}, "
            f"and {answer.unreachable}"
        )
    return answer.commit or cached


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
    if _looks_like_path(model_id):
        raise RevisionError(f"no model folder {model_id}: no such directory")
    return _check_hub_model(model_id, revision)

"""The COMET worker: runs inside the managed COMET environment, never in tv-eval's own.

unbabel-comet 2.2.7 pins transformers<5, numpy<2 and huggingface-hub<1, so it lives in a separate
virtual environment (tv_eval/scoring/comet_env.py) and this script is its only entry point. It imports only
the standard library and COMET's own stack, and is started with `python -I` so nothing from tv-eval's
package folder shadows a module. Commands (results as one JSON line on stdout, or in OUTPUT):

    resolve MODEL TINY_DIR   checkpoint path of a Hub id, a local model folder or .ckpt, or `tiny-random`
    score REQUEST OUTPUT     segment and system scores for the segments in REQUEST (JSON)
    versions                 versions of the packages the scores depend on

`tiny-random` is an xCOMET-architecture model with random weights built here without any download (a
tiny XLM-R-XL configuration and a tokenizer trained with `tokenizers`, saved and then loaded by
`comet.load_from_checkpoint` exactly as the real xCOMET-XL is), for smoke runs and tests.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any

TINY_MODEL = "tiny-random"
TINY_SEED = 1234
TINY_CORPUS = (
    "A man in an orange hat starring at something.",
    "A Boston Terrier is running on lush green grass in front of a white fence.",
    "Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt.",
    "Ein Boston Terrier läuft über saftig-grünes Gras vor einem weißen Zaun.",
    "Un homme avec un chapeau orange regardant quelque chose.",
    "Un terrier de Boston court sur l'herbe verte devant une clôture blanche.",
    "Muž v oranžovém klobouku na něco zírá.",
    "Bostonský teriér běží po zářivě zelené trávě před bílým plotem.",
    "Мужчина в оранжевой шляпе смотрит на что-то.",
    "一个戴着橙色帽子的男人盯着什么东西。",
    "رجل يرتدي قبعة برتقالية يحدق في شيء ما.",
    "Un hombre con un sombrero naranja mirando algo.",
)
PACKAGES = ("unbabel-comet", "torch", "transformers", "pytorch-lightning", "numpy", "huggingface-hub")


def versions() -> dict[str, str]:
    return {name: version(name) for name in PACKAGES}


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def train_xlmr_tokenizer(texts: Iterable[str], vocab_size: int) -> Any:
    """An XLM-R-style tokenizer (Metaspace BPE, RoBERTa special tokens) trained offline on `texts`:
    the stand-in for XLM-R's own, which cannot be downloaded here."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.add_special_tokens(["<mask>"])
    tokenizer.post_processor = processors.RobertaProcessing(
        sep=("</s>", tokenizer.token_to_id("</s>")), cls=("<s>", tokenizer.token_to_id("<s>"))
    )
    return XLMRobertaTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
    )


def build_tiny_model(target: Path) -> Path:
    """Build the tiny xCOMET checkpoint into `target` atomically; returns its checkpoint path."""
    import torch
    import yaml
    from comet.models import XCOMETMetric
    from transformers import XLMRobertaXLConfig

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        encoder = staging / "encoder"
        fast = train_xlmr_tokenizer(TINY_CORPUS, vocab_size=600)
        fast.save_pretrained(encoder)
        XLMRobertaXLConfig(
            vocab_size=len(fast),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=514,
            pad_token_id=fast.pad_token_id,
            bos_token_id=fast.bos_token_id,
            eos_token_id=fast.eos_token_id,
        ).save_pretrained(encoder)
        torch.manual_seed(TINY_SEED)
        model = XCOMETMetric(
            pretrained_model=str(encoder),
            word_layer=2,
            hidden_sizes=[32, 16],
            load_pretrained_weights=False,
            local_files_only=True,
        )
        # The checkpoint names its encoder folder: the final location, not the staging one.
        hparams = {**dict(model.hparams), "pretrained_model": str(target / "encoder")}
        (staging / "checkpoints").mkdir()
        torch.save(
            {
                "state_dict": model.state_dict(),
                "hyper_parameters": hparams,
                "pytorch-lightning_version": version("pytorch-lightning"),
            },
            staging / "checkpoints" / "model.ckpt",
        )
        (staging / "hparams.yaml").write_text(yaml.safe_dump(hparams), encoding="utf-8")
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "checkpoints" / "model.ckpt").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / "checkpoints" / "model.ckpt"


def resolve(model: str, tiny_dir: Path) -> Path:
    """The checkpoint file for a model id, path or `tiny-random` (built on first use)."""
    if model == TINY_MODEL:
        checkpoint = tiny_dir / "checkpoints" / "model.ckpt"
        return checkpoint if checkpoint.is_file() else build_tiny_model(tiny_dir)
    path = Path(model).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        checkpoint = path / "checkpoints" / "model.ckpt"
        if checkpoint.is_file():
            return checkpoint
        raise FileNotFoundError(f"{path} has no checkpoints/model.ckpt")
    from comet import download_model

    return Path(download_model(model))


def score(request_path: Path, output_path: Path) -> None:
    import torch
    from comet import load_from_checkpoint

    request = json.loads(request_path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    model = load_from_checkpoint(request["checkpoint"])
    model.eval()
    loaded = time.perf_counter()
    use_gpu = request.get("device", "auto") != "cpu" and torch.cuda.is_available()
    prediction = model.predict(
        request["segments"],
        batch_size=int(request["batch_size"]),
        gpus=1 if use_gpu else 0,
        accelerator="gpu" if use_gpu else "cpu",
        progress_bar=False,
    )
    predicted = time.perf_counter()
    metadata = getattr(prediction, "metadata", None)
    spans = metadata.get("error_spans") if metadata is not None and hasattr(metadata, "get") else None
    result = {
        "scores": [float(value) for value in prediction.scores],
        "system_score": float(prediction.system_score),
        "error_spans": spans,
        "device": "cuda" if use_gpu else "cpu",
        "model_class": type(model).__name__,
        "load_s": round(loaded - started, 3),
        "predict_s": round(predicted - loaded, 3),
        "versions": versions(),
    }
    output_path.write_text(json.dumps(result), encoding="utf-8")


def main(argv: list[str]) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    command, *args = argv or ["help"]
    if command == "resolve" and len(args) == 2:
        _emit({"checkpoint": str(resolve(args[0], Path(args[1])))})
    elif command == "score" and len(args) == 2:
        score(Path(args[0]), Path(args[1]))
    elif command == "versions" and not args:
        _emit(versions())
    else:
        sys.stderr.write(__doc__ or "")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

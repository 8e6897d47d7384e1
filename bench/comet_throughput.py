"""COMET scoring throughput (segments/s) through tv-eval's managed COMET environment and worker.

No COMET weights can be downloaded here, so two random-weight models stand in, both scored by the same
worker and `comet.load_from_checkpoint` code path as the real checkpoints:

- `tiny`: the `tiny-random` xCOMET smoke model (tv_eval/scoring/comet_worker.py);
- `large`: the architecture of Unbabel/wmt22-comet-da (a COMET-22 regression metric on XLM-R large:
  24 layers, hidden 1024, vocabulary 250,002, estimator 3072-1024), random weights, with a BPE
  tokenizer trained on the Multi30K sentences (8,000 entries) so segment lengths in tokens are close to
  what XLM-R's tokenizer gives. Its speed is the speed of the real COMET-22 on the same hardware;
  xCOMET-XL (3.5B parameters) is about 6x the compute per token.

Segments are the real Multi30K test_2016_flickr en-de pairs from tests/data/multi30k.

    python bench/comet_throughput.py [--segments 256] [--batch-size 16] [--models tiny,large]

The COMET environment is created first if needed (its set-up time is printed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT / "tests" / "data" / "multi30k"


def build_large(target: Path, corpus_file: Path) -> None:
    """Runs inside the COMET environment: a random COMET-22 (XLM-R large) checkpoint in `target`."""
    import torch
    import yaml
    from comet.models import RegressionMetric
    from transformers import XLMRobertaConfig

    # Runs with `python -I` in the COMET environment, where tv-eval is not installed: the worker is
    # imported as a plain module from its folder.
    sys.path.insert(0, str(REPO_ROOT / "tv_eval"))
    from comet_worker import train_xlmr_tokenizer

    encoder = target / "encoder"
    fast = train_xlmr_tokenizer(corpus_file.read_text(encoding="utf-8").splitlines(), vocab_size=8000)
    fast.save_pretrained(encoder)
    XLMRobertaConfig(
        vocab_size=250002,
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096,
        max_position_embeddings=514,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
    ).save_pretrained(encoder)
    torch.manual_seed(0)
    model = RegressionMetric(
        pretrained_model=str(encoder),
        encoder_model="XLM-RoBERTa",
        hidden_sizes=[3072, 1024],
        layer="mix",
        pool="avg",
        load_pretrained_weights=False,
    )
    hparams = dict(model.hparams)
    (target / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.save(
        {"state_dict": model.state_dict(), "hyper_parameters": hparams, "pytorch-lightning_version": "2.6.6"},
        target / "checkpoints" / "model.ckpt",
    )
    (target / "hparams.yaml").write_text(yaml.safe_dump(hparams), encoding="utf-8")
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters())}))


def _lines(name: str) -> list[str]:
    with gzip.open(SHARED / name, "rt", encoding="utf-8") as handle:
        return [line.strip() for line in handle]


def main() -> None:
    from tv_eval.scoring.comet_env import cache_root, ensure_comet_env, run_worker_command
    from tv_eval.scoring.comet_scoring import TINY_DIR_NAME

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--models", default="tiny,large")
    args = parser.parse_args()

    started = time.perf_counter()
    environment = ensure_comet_env(notify=lambda message: print(message, file=sys.stderr))
    state = "created now" if environment.created_now else "already there"
    print(
        f"COMET environment {environment.path}: {state}, set-up took {environment.setup_s} s "
        f"(this call {time.perf_counter() - started:.1f} s); {json.dumps(environment.versions)}"
    )
    english, german = _lines("test_2016_flickr.en.gz"), _lines("test_2016_flickr.de.gz")
    segments = [
        {"src": english[i], "mt": german[i], "ref": german[(i + 1) % len(german)]}
        for i in range(args.segments)
    ]
    with tempfile.TemporaryDirectory(prefix="comet-bench-") as folder:
        work = Path(folder)
        checkpoints: dict[str, str] = {}
        for name in args.models.split(","):
            if name == "tiny":
                answer = run_worker_command(
                    environment.python,
                    ["resolve", "tiny-random", str(cache_root() / "models" / TINY_DIR_NAME)],
                )
                checkpoints[name] = json.loads(answer)["checkpoint"]
            elif name == "large":
                corpus = work / "corpus.txt"
                lines = [
                    line
                    for language in ("en", "de", "fr", "cs")
                    for line in _lines(f"test_2016_flickr.{language}.gz")
                ]
                corpus.write_text("\n".join(lines), encoding="utf-8")
                built = subprocess.run(
                    [
                        str(environment.python),
                        "-I",
                        __file__,
                        "build-large",
                        str(work / "large"),
                        str(corpus),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                parameters = json.loads(built.stdout.strip().splitlines()[-1])["parameters"]
                print(f"large: random-weight COMET-22 architecture, {parameters / 1e6:.0f}M parameters")
                checkpoints[name] = str(work / "large" / "checkpoints" / "model.ckpt")
            else:
                raise SystemExit(f"unknown model {name!r}; use tiny, large")
        print("| model | segments | batch | device | load s | predict s | segments/s |")
        print("|---|---|---|---|---|---|---|")
        for name, checkpoint in checkpoints.items():
            request, output = work / f"{name}.json", work / f"{name}-scores.json"
            request.write_text(
                json.dumps({"checkpoint": checkpoint, "batch_size": args.batch_size, "segments": segments}),
                encoding="utf-8",
            )
            run_worker_command(environment.python, ["score", str(request), str(output)])
            result = json.loads(output.read_text(encoding="utf-8"))
            rate = len(segments) / result["predict_s"]
            print(
                f"| {name} | {len(segments)} | {args.batch_size} | {result['device']} | {result['load_s']} "
                f"| {result['predict_s']} | {rate:.1f} |"
            )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "build-large":
        build_large(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()

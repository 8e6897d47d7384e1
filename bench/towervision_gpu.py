"""TowerVision-2B's architecture with random weights, through the transformers and vLLM adapters, on a GPU.

No Hub here, so the model is built from its configuration: LLaVA-NeXT (anyres tiling) with a SigLIP2
so400m/14 at 384 px vision tower and a Gemma-2 2B text model (Tower+ 2B), as the TowerVision-2B model
card's config.json gives them (utter-project/TowerVision-2B: text hidden 2304, intermediate 9216, head
dim 256, 8 heads, 4 key-value heads, logit soft-capping 50/30, gelu_pytorch_tanh; vision hidden 1152,
27 layers, 16 heads, patch 14, image 384; projector from 1152, feature layer -2, patch features). Where
the card's values were not at hand, Gemma-2 2B's own are used (26 layers, vocabulary 256000, sliding
window 4096) and the grid pinpoints are LLaVA-NeXT's anyres grid at 384 px. The tokenizer is a small
byte-level one trained here (vocabulary padded to 256000): speed does not depend on which ids come out.

Each backend gets the same requests (bench/adapter_throughput.py's, one image each) and reports
samples/s, completion tokens/s and peak GPU memory; vLLM runs in a fresh process so its memory is its
own. Needs a CUDA machine with `pip install -e ".[vllm]"`:

    PYTHONPATH=. python bench/towervision_gpu.py --requests 256 --new-tokens 64 --dtype bfloat16

`--config-only DIR` writes the configuration and processor and stops (tested on CPU).
Not yet run on a GPU: no GPU was lent when it was written (2026-12-07).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TEXT = {
    "vocab_size": 256000,
    "hidden_size": 2304,
    "intermediate_size": 9216,
    "num_hidden_layers": 26,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "head_dim": 256,
    "hidden_activation": "gelu_pytorch_tanh",
    "attn_logit_softcapping": 50.0,
    "final_logit_softcapping": 30.0,
    "query_pre_attn_scalar": 256,
    "sliding_window": 4096,
    "max_position_embeddings": 8192,
}
VISION = {
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "patch_size": 14,
    "image_size": 384,
    "hidden_act": "gelu_pytorch_tanh",
    "layer_norm_eps": 1e-6,
}
GRID = [[384, 384], [384, 768], [768, 384], [768, 768], [384, 1152], [1152, 384]]
IMAGE_TOKEN = "<image>"
CHAT_TEMPLATE = (
    "{% for message in messages %}<start_of_turn>{{ 'model' if message['role'] == 'assistant' "
    "else message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}{% if part['type'] == 'image' %}<image>\n"
    "{% else %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def build_config(tokenizer_length: int, image_token_id: int) -> Any:
    """The LlavaNextConfig of TowerVision-2B's architecture (see the module docstring)."""
    from transformers import Gemma2Config, LlavaNextConfig, SiglipVisionConfig

    text = Gemma2Config(**{**TEXT, "vocab_size": max(TEXT["vocab_size"], tokenizer_length)})
    return LlavaNextConfig(
        vision_config=SiglipVisionConfig(**VISION),
        text_config=text,
        image_grid_pinpoints=GRID,
        image_token_index=image_token_id,
        vision_feature_layer=-2,
        vision_feature_select_strategy="full",
        multimodal_projector_bias=True,
        projector_hidden_act="gelu",
        tie_word_embeddings=True,
    )


def build_processor() -> Any:
    """A LLaVA-NeXT processor: SigLIP's 384 px image processor, a small byte-level BPE tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlavaNextImageProcessor, LlavaNextProcessor, PreTrainedTokenizerFast

    special = ["<pad>", "<eos>", "<bos>", IMAGE_TOKEN, "<start_of_turn>", "<end_of_turn>"]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    corpus = ["What is shown in this image?", "Qu'est-ce qui est représenté ?", "这张图片里有什么?"] * 50
    core.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=2000, special_tokens=special))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", padding_side="left"
    )
    image_processor = LlavaNextImageProcessor(
        size={"shortest_edge": 384},
        crop_size={"height": 384, "width": 384},
        image_grid_pinpoints=GRID,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    return LlavaNextProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=VISION["patch_size"],
        vision_feature_select_strategy="full",
        chat_template=CHAT_TEMPLATE,
        image_token=IMAGE_TOKEN,
    )


def write_model(target: Path, weights: bool) -> Path:
    """Configuration and processor into `target`, and random bf16 weights when `weights`."""
    import torch
    from transformers import LlavaNextForConditionalGeneration

    processor = build_processor()
    tokenizer = processor.tokenizer
    config = build_config(len(tokenizer), tokenizer.convert_tokens_to_ids(IMAGE_TOKEN))
    config.text_config.eos_token_id = tokenizer.eos_token_id
    config.text_config.pad_token_id = tokenizer.pad_token_id
    target.mkdir(parents=True, exist_ok=True)
    processor.save_pretrained(target)
    if not weights:
        config.save_pretrained(target)
        return target
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlavaNextForConditionalGeneration(config).to(torch.bfloat16).eval()
    model.save_pretrained(target)
    return target


def run_backend(backend: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One backend in this process: samples/s, tokens/s and peak GPU memory of the best of two passes."""
    import torch

    from bench.adapter_throughput import make_requests
    from model_adapters.transformers_adapter import TransformersAdapter
    from model_adapters.vllm_adapter import VllmAdapter
    from tv_eval.core.adapter import AdapterSettings

    settings = AdapterSettings(
        model_id=str(folder), device="cuda", dtype=args.dtype, batch_size=args.batch_size
    )
    requests = make_requests(args.requests, args.new_tokens)
    start = time.perf_counter()
    adapter = (TransformersAdapter if backend == "transformers" else VllmAdapter)(settings)
    loaded = time.perf_counter() - start
    adapter.generate(requests[: min(8, len(requests))])
    best, tokens = float("inf"), 0
    for _ in range(2):
        start = time.perf_counter()
        responses = adapter.generate(requests)
        best = min(best, time.perf_counter() - start)
        tokens = sum(response.completion_tokens or 0 for response in responses)
    peak = _peak_gpu_memory(backend)  # before close: vLLM's engine processes hold their memory till then
    adapter.close()
    return {
        "backend": backend,
        "samples_per_s": round(len(requests) / best, 2),
        "tokens_per_s": round(tokens / best, 1),
        "load_s": round(loaded, 1),
        "peak_gpu_memory_gib": peak,
        "failed": sum(response.error is not None for response in responses),
        "torch": torch.__version__,
    }


def _peak_gpu_memory(backend: str) -> float | None:
    """transformers: torch's peak allocation here; vLLM (its own processes): nvidia-smi's used memory,
    which includes the KV cache vLLM reserves up to gpu_memory_utilization."""
    import torch

    if backend == "transformers":
        return round(torch.cuda.max_memory_allocated() / 2**30, 2)
    query = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"]
    try:
        used = subprocess.run(query, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    return round(float(used[0]) / 1024, 2)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--batch-size", type=int, default=None, help="transformers only (default: auto)")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/towervision-2b-random"))
    parser.add_argument("--config-only", type=Path, default=None, help="write config and processor, stop")
    parser.add_argument("--backend", choices=("transformers", "vllm"), default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.config_only is not None:
        write_model(args.config_only, weights=False)
        return
    if args.backend is not None:
        print(json.dumps(run_backend(args.backend, args.folder, args)))
        return
    if not (args.folder / "config.json").is_file():
        write_model(args.folder, weights=True)
    for backend in ("transformers", "vllm"):
        command = [
            sys.executable,
            __file__,
            *(argv if argv is not None else sys.argv[1:]),
            "--backend",
            backend,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = completed.stdout.strip().splitlines()
        print(
            lines[-1]
            if completed.returncode == 0 and lines
            else f"{backend} failed: {completed.stderr[-2000:]}"
        )


if __name__ == "__main__":
    main()

"""Built-in model aliases: the TowerVision models and the baselines the TowerVision paper compares with.

Registered through the `tv_eval.model_aliases` entry point, so `--model towervision-9b` resolves to the
adapter, Hub id and default dtype below (each value holds `ModelSpec`'s fields). A `backend` is preferred
over the adapter where it can run (vllm: installed and the device is CUDA; tv_eval/core/backends.py).
The alias dtype reaches the adapter as `options["default_dtype"]` and is used when the user leaves
`--dtype auto`.

Hub ids were checked against the Hub model cards (2025). CulturalPangea-7B is published in the original
LLaVA-NeXT layout (a `qwen2` config, not a transformers LLaVA class), so AutoModelForImageTextToText may
not load it; it is kept under its real id, and its transformers-format sibling `neulab/Pangea-7B-hf`
exists only for the base Pangea model.
"""

from __future__ import annotations

from typing import Any

ALIASES: dict[str, dict[str, Any]] = {
    "towervision-2b": {
        "adapter": "transformers",
        "model_id": "utter-project/TowerVision-2B",
        "dtype": "bfloat16",
        "description": "TowerVision 2B (LlavaNextForConditionalGeneration: SigLIP2 + Tower+ 2B / Gemma 2)",
        "options": {"video_frames": 32},
        "backend": "vllm",
    },
    "towervision-9b": {
        "adapter": "transformers",
        "model_id": "utter-project/TowerVision-9B",
        "dtype": "bfloat16",
        "description": "TowerVision 9B (LlavaNextForConditionalGeneration: SigLIP2 + Tower+ 9B / Gemma 2)",
        "options": {"video_frames": 32},
        "backend": "vllm",
    },
    "qwen2.5-vl-3b": {
        "adapter": "transformers",
        "model_id": "Qwen/Qwen2.5-VL-3B-Instruct",
        "dtype": "bfloat16",
        "description": "Qwen2.5-VL 3B Instruct (paper baseline)",
    },
    "qwen2.5-vl-7b": {
        "adapter": "transformers",
        "model_id": "Qwen/Qwen2.5-VL-7B-Instruct",
        "dtype": "bfloat16",
        "description": "Qwen2.5-VL 7B Instruct (paper baseline)",
    },
    "gemma3-4b": {
        "adapter": "transformers",
        "model_id": "google/gemma-3-4b-it",
        "dtype": "bfloat16",
        "description": "Gemma 3 4B instruction-tuned (paper baseline; gated on the Hub)",
    },
    "gemma3-12b": {
        "adapter": "transformers",
        "model_id": "google/gemma-3-12b-it",
        "dtype": "bfloat16",
        "description": "Gemma 3 12B instruction-tuned (paper baseline; gated on the Hub)",
    },
    "aya-vision-8b": {
        "adapter": "transformers",
        "model_id": "CohereLabs/aya-vision-8b",
        "dtype": "bfloat16",
        "description": "Aya Vision 8B (paper baseline; gated on the Hub, formerly CohereForAI/aya-vision-8b)",
    },
    "culturalpangea-7b": {
        "adapter": "transformers",
        "model_id": "neulab/CulturalPangea-7B",
        "dtype": "bfloat16",
        "description": "CulturalPangea 7B (paper baseline; LLaVA-NeXT layout, may need conversion to load)",
    },
    "llava-next-8b": {
        "adapter": "transformers",
        "model_id": "llava-hf/llama3-llava-next-8b-hf",
        "dtype": "bfloat16",
        "description": "LLaVA-NeXT 8B on Llama 3 (paper baseline)",
    },
    "tiny-random": {
        "adapter": "tiny_random",
        "model_id": "tiny-random",
        "dtype": "float32",
        "description": "A random-weight LLaVA built locally on first use, for offline smoke tests and CI",
        "options": {"threads": 1},
    },
}

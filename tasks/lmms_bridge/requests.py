"""From the docs the lmms-eval worker rendered to tv-eval samples and requests.

A doc arrives as lmms-eval built it: in chat format its doc_to_messages turns (text parts and image
files), in simple format its context string with doc_to_visual's images; always with the generation
kwargs of its Instance. Images come as lossless PNG files of the PIL images lmms-eval produced, so the
pixels a model sees are those lmms-eval's own models see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tv_eval.api import (
    GenerationParams,
    ImageInput,
    ImagePart,
    LoadContext,
    Message,
    Request,
    Sample,
    TaskConfigError,
    TextPart,
    build_sample,
)

# What lmms-eval's llava_hf, the reference model of the bridge's tests, generates when a task sets no
# max_new_tokens (models/simple/llava_hf.py in lmms-eval 0.7.3).
LMMS_DEFAULT_MAX_NEW_TOKENS = 1024
CARRIED_KWARGS = frozenset({"max_new_tokens", "temperature", "top_p", "until"})
# Settings that state the default of greedy decoding, so dropping them changes nothing.
NEUTRAL_KWARGS = {"do_sample": False, "num_beams": 1, "image_aspect_ratio": "original"}


def _images(entry: dict[str, Any]) -> list[dict[str, str]]:
    if "messages" in entry:
        return [
            part for message in entry["messages"] for part in message["content"] if part["type"] != "text"
        ]
    return list(entry.get("visuals") or [])


def _reference(target: Any) -> str:
    return target if isinstance(target, str) else json.dumps(target, ensure_ascii=False)


def entry_sample(context: LoadContext, lmms_task: str, entry: dict[str, Any], language: str) -> Sample:
    """One doc as a sample: its first image and cluster, its category the lmms-eval task."""
    errors, image = [], None
    for part in _images(entry):
        if part["type"] != "image":
            errors.append(f"lmms-eval visual {part['path']!r} is not an image (not bridged)")
        elif image is None:
            image = ImageInput.from_bytes(Path(part["path"]).read_bytes())
    sample_id = f"{lmms_task}/{entry['doc_id']}"
    return build_sample(
        context,
        sample_id,
        language,
        errors,
        reference=_reference(entry["target"]),
        category=lmms_task,
        image=image,
        cluster_id=image.sha256 if image is not None else sample_id,
        text=entry.get("context") or "",
        metadata={"lmms_task": lmms_task, "doc_id": entry["doc_id"]},
    )


def _parts(content: list[dict[str, Any]]) -> tuple[TextPart | ImagePart, ...]:
    return tuple(
        TextPart(part["text"])
        if part["type"] == "text"
        else ImagePart(ImageInput.from_bytes(Path(part["path"]).read_bytes()))
        for part in content
    )


def generation_params(gen_kwargs: dict[str, Any]) -> GenerationParams:
    """lmms-eval's generation kwargs as tv-eval's (max_new_tokens, temperature, top_p, until); any
    other setting that would change what is generated is refused rather than dropped."""
    unsupported = {
        key: value
        for key, value in gen_kwargs.items()
        if key not in CARRIED_KWARGS and NEUTRAL_KWARGS.get(key, object()) != value
    }
    if unsupported:
        raise TaskConfigError(f"generation kwargs not bridged: {unsupported}")
    until = gen_kwargs.get("until") or ()
    return GenerationParams(
        max_new_tokens=int(gen_kwargs.get("max_new_tokens", LMMS_DEFAULT_MAX_NEW_TOKENS)),
        temperature=float(gen_kwargs.get("temperature") or 0.0),
        top_p=float(gen_kwargs.get("top_p") or 1.0),
        stop=(until,) if isinstance(until, str) else tuple(until),
    )


def entry_request(sample: Sample, entry: dict[str, Any]) -> Request:
    """The doc's messages: its chat turns, or one user turn of its images then its context."""
    if "messages" in entry:
        messages = tuple(
            Message(message["role"], _parts(message["content"])) for message in entry["messages"]
        )
    else:
        content = [
            *(part for part in entry["visuals"] if part["type"] == "image"),
            {"type": "text", "text": entry["context"]},
        ]
        messages = (Message("user", _parts(content)),)
    return Request(
        request_id=sample.sample_id, messages=messages, generation=generation_params(entry["gen_kwargs"])
    )


def rendered_prompt(entry: dict[str, Any]) -> list[Any]:
    """What the doc's prompt is, without the run's scratch paths of its images (for the prompts hash)."""
    messages = [
        [message["role"], [part.get("text", part["type"]) for part in message["content"]]]
        for message in entry.get("messages") or []
    ]
    return [entry.get("context"), messages, entry.get("gen_kwargs")]

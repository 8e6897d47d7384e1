"""Log-likelihoods on the transformers backend, in the measures a request can ask for.

`sum` and `mean` score the continuation's own tokens appended after the generation prompt (as lm-eval
does), batched with right padding, so the prompt's tokens are exactly those `generate` would see.

`llava_hf_turn_mean` reproduces lmms-eval's `llava_hf.loglikelihood` as the TowerVision fork runs it
(deep-spin/lmms-eval, branch multiling_multimodal_tasks_add, lmms_eval/models/llava_hf.py), one request
per forward pass as there:
- the user turn is a plain string: one `<image>` per image joined by spaces, a newline, the text; the
  assistant turn is the continuation; both go through the tokenizer's chat template, without and with
  the assistant turn (generation prompt added only to the first);
- the whole conversation is encoded by the processor with the images;
- the first N tokens are masked, N being the prompt's length through the processor without images
  (the tokenizer alone, special tokens added): where the processor expands each `<image>` into many
  tokens, the scored span therefore starts inside the image tokens and covers the rest of the prompt;
- the value is the mean log-probability of the unmasked tokens, i.e. minus the model's loss with those
  labels (the logits at position p predict the token at p + 1, as the model's loss shifts them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tv_eval.api import ContinuationMeasure, Request

if TYPE_CHECKING:
    import torch

    from model_adapters.transformers_adapter import TransformersAdapter
    from model_adapters.transformers_requests import PreparedRequest

# lmms-eval's DEFAULT_IMAGE_TOKEN in llava_hf.py: written literally, whatever the model's own token.
LLAVA_HF_IMAGE_TOKEN = "<image>"
TURN_MEASURES = (ContinuationMeasure.LLAVA_HF_TURN_MEAN,)


def loglikelihoods(adapter: TransformersAdapter, requests: Sequence[Request]) -> list[float]:
    """One value per request in its measure; NaN for a request that cannot be scored."""
    appended, turns = [], []
    for index, request in enumerate(requests):
        if request.continuation is None:
            raise ValueError(f"request {request.request_id} has no continuation to score")
        if request.measure in TURN_MEASURES:
            turns.append(_prepare_turn(adapter, index, request))
        else:
            appended.append(_prepare_appended(adapter, index, request))
    results = adapter._run_batched(
        appended,
        group_key=lambda item: len(item.images),
        run=lambda batch: _appended_batch(adapter, batch),
        on_error=lambda item, error: float("nan"),
    )
    results.update(
        adapter._run_batched(
            turns,
            group_key=lambda item: len(item.images),
            run=lambda batch: [_turn_value(adapter, item) for item in batch],
            on_error=lambda item, error: float("nan"),
        )
    )
    return [results[index] for index in range(len(requests))]


def _prepare_appended(adapter: TransformersAdapter, index: int, request: Request) -> PreparedRequest:
    continuation = str(request.continuation)
    continuation_ids = adapter.processor.tokenizer(continuation, add_special_tokens=False)["input_ids"]
    item = adapter._prepare(index, request, reserve=len(continuation_ids))
    item.continuation_ids = continuation_ids
    return item


def _appended_batch(adapter: TransformersAdapter, batch: list[PreparedRequest]) -> list[float]:
    import torch

    from model_adapters.transformers_decoding import append_continuations

    inputs = append_continuations(
        adapter._encode(batch),
        [item.continuation_ids for item in batch],
        adapter.processor.tokenizer.pad_token_id,
    )
    with torch.inference_mode():
        logits = adapter.model(**inputs).logits
    lengths = inputs["attention_mask"].sum(dim=1).tolist()
    values = []
    for row, item in enumerate(batch):
        start = int(lengths[row]) - len(item.continuation_ids)
        targets = torch.tensor(item.continuation_ids, device=logits.device, dtype=torch.long)
        token_log_probs = _target_log_probs(logits[row], targets, start)
        total = float(token_log_probs.sum())
        mean = item.request.measure is ContinuationMeasure.MEAN
        values.append(total / len(item.continuation_ids) if mean else total)
    return values


def _target_log_probs(logits: torch.Tensor, targets: torch.Tensor, start: int) -> torch.Tensor:
    """Log-probabilities of `targets` placed at positions start, start + 1, ... of one row. Only the
    rows needed are normalized: batch x length x vocabulary in float32 can exceed the model's size."""
    import torch

    log_probs = torch.log_softmax(logits[start - 1 : start - 1 + len(targets)].float(), dim=-1)
    return log_probs.gather(1, targets[:, None])[:, 0]


def llava_hf_texts(adapter: TransformersAdapter, request: Request) -> tuple[str, str]:
    """(prompt, prompt and continuation) rendered as lmms-eval's llava_hf renders them."""
    if len(request.messages) != 1 or request.videos:
        raise ValueError("llava_hf_turn_mean scores one user turn with images only")
    placeholders = " ".join([LLAVA_HF_IMAGE_TOKEN] * len(request.images))
    user = {"role": "user", "content": f"{placeholders}\n{request.messages[0].text}"}
    assistant = {"role": "assistant", "content": str(request.continuation)}
    tokenizer = adapter.processor.tokenizer
    if tokenizer.chat_template is None:
        # lmms-eval falls back to a Vicuna template here; tv-eval does not guess one.
        raise ValueError("the tokenizer has no chat template, which llava_hf_turn_mean renders with")
    prompt = tokenizer.apply_chat_template([user], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template([user, assistant], tokenize=False, add_generation_prompt=False)
    return str(prompt), str(full)


def _prepare_turn(adapter: TransformersAdapter, index: int, request: Request) -> PreparedRequest:
    """Decoded images, the full text and N (kept as `prompt_tokens`); failures become the error."""
    from model_adapters.transformers_requests import PreparedRequest, first_line

    item = adapter._prepare(index, request, reserve=0)
    if item.error is not None:
        return item
    try:
        prompt, item.text = llava_hf_texts(adapter, request)
        item.prompt_tokens = len(adapter.processor.tokenizer(prompt)["input_ids"])
    except Exception as exc:
        error = f"request could not be rendered: {first_line(exc)}"
        return PreparedRequest(index=index, request=request, error=error)
    return item


def _turn_value(adapter: TransformersAdapter, item: PreparedRequest) -> float:
    import torch

    inputs = adapter.processor(text=[item.text], images=item.images or None, return_tensors="pt")
    inputs = inputs.to(adapter.model.device, dtype=adapter.model.dtype)
    input_ids = inputs["input_ids"][0]
    start = max(item.prompt_tokens, 1)
    if start >= len(input_ids):
        return float("nan")
    with torch.inference_mode():
        logits = adapter.model(**inputs).logits[0]
    return float(_target_log_probs(logits, input_ids[start:], start).mean())

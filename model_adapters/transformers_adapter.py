"""The Hugging Face transformers backend: any image-text-to-text model, from the Hub or a local path.

Batch-first by design (DESIGN.md principle 2): requests are rendered with the model's own chat template,
grouped by image count and decoding settings, sorted by prompt length so padding stays small, and run in
batches that halve on out-of-memory. Anything wrong with one request (an undecodable image, a prompt that
does not fit the context) becomes that request's error and never stops the others.

torch and transformers are imported inside functions so that importing this module stays cheap and free
of side effects; the registry only imports it when the adapter is asked for.
"""

from __future__ import annotations

import gc
import operator
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from model_adapters.transformers_config import context_length, cpu_threads, resolve_device, resolve_dtype
from model_adapters.transformers_decoding import (
    decoding_kwargs,
    truncate_at_stop,
    until_stop_token,
)
from model_adapters.transformers_prefetch import Prefetcher
from model_adapters.transformers_requests import (
    PreparedRequest,
    RequestPreparer,
    first_line,
)
from model_adapters.transformers_tokens import PromptCounter
from tv_eval.api import (
    AdapterSettings,
    BatchCallback,
    ModelAdapter,
    ModelIdentity,
    ModelLoadError,
    Request,
    Response,
    RevisionError,
    hub_model_is_local_only,
    max_image_pixels,
    needed_side,
    resolve_model_revision,
)

if TYPE_CHECKING:
    import torch
    from PIL import Image
    from transformers import BatchFeature, PreTrainedModel, ProcessorMixin

T = TypeVar("T")

AUTO_BATCH_SIZE_CUDA = 32
AUTO_BATCH_SIZE_CPU = 8


class TransformersAdapter(ModelAdapter):
    """Loads with AutoProcessor + AutoModelForImageTextToText; see the module docstring for the batching."""

    name = "transformers"
    version = "1"
    required_modules: ClassVar[tuple[str, ...]] = ("torch", "transformers")
    extra: ClassVar[str | None] = "hf"

    def __init__(self, settings: AdapterSettings) -> None:
        super().__init__(settings)
        import torch

        # Resolved once and loaded exactly, so the weights in memory are those the cache key names.
        self.revision = self.resolve_revision(settings)
        self.device = resolve_device(settings.device)
        self.dtype_name = resolve_dtype(settings.dtype, settings.options.get("default_dtype"), self.device)
        threads = cpu_threads(settings.options)
        if threads is not None and self.device == "cpu":
            torch.set_num_threads(threads)
        self.processor, self._model = self._load(getattr(torch, self.dtype_name))
        self.prefetcher: Prefetcher[PreparedRequest, BatchFeature] = Prefetcher(self._batch_inputs, key=id)
        self.context_length = context_length(self.model.config)
        self.preparer = RequestPreparer(
            self.processor,
            PromptCounter(self.processor, self._full_prompt_count),
            max_image_pixels(),
            needed_side(getattr(self.processor, "image_processor", None)),
            self.context_length,
        )
        self._expected: list[Request] | None = None
        self._ahead: tuple[list[Request], list[PreparedRequest]] | None = None
        self.batch_size = settings.batch_size or (
            AUTO_BATCH_SIZE_CUDA if self.device.startswith("cuda") else AUTO_BATCH_SIZE_CPU
        )

    def _model_source(self) -> str:
        """Where weights come from: a Hub id or a local path; subclasses point elsewhere."""
        return self.settings.model_id

    def _load(self, dtype: torch.dtype) -> tuple[ProcessorMixin, PreTrainedModel]:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        source = self._model_source()
        local_folder = Path(source).expanduser().is_dir()
        revision = None if local_folder else self.revision
        common = {
            "revision": revision,
            "trust_remote_code": self.settings.trust_remote_code,
            # No Hub to ask: read the cached copy at once rather than retry downloads for minutes.
            "local_files_only": not local_folder and hub_model_is_local_only(source, self.settings.revision),
        }
        try:
            processor = AutoProcessor.from_pretrained(source, **common)
            model = AutoModelForImageTextToText.from_pretrained(
                source, dtype=dtype, device_map=self.device, **common
            )
        except Exception as exc:
            at = f"@{revision}" if revision else ""
            raise ModelLoadError(f"cannot load {source}{at}: {first_line(exc)}") from exc
        tokenizer = processor.tokenizer
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        return processor, model.eval()

    @property
    def model(self) -> PreTrainedModel:
        if self._model is None:
            raise RuntimeError(f"the {self.name} adapter was closed")
        return self._model

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(
            model_id=self.settings.model_id,
            revision=self.revision or getattr(self.model.config, "_commit_hash", None),
            adapter=self.name,
            adapter_version=self.version,
            dtype=self.dtype_name,
            device=self.device,
        )

    def close(self) -> None:
        self.prefetcher.close()
        self._model = None
        if self.device.startswith("cuda"):
            # Only a GPU's memory needs handing back at once; on CPU a full collection here took over a
            # second of the smoke run for nothing the process would not free anyway.
            self._release_memory()

    # generate

    @classmethod
    def resolve_revision(cls, settings: AdapterSettings) -> str | None:
        """The Hub commit the id resolves to, or the content digest of a local checkpoint folder."""
        try:
            return resolve_model_revision(settings.model_id, settings.revision)
        except RevisionError as error:
            raise ModelLoadError(str(error)) from error

    @classmethod
    def cache_identity(cls, settings: AdapterSettings) -> ModelIdentity:
        device = resolve_device(settings.device)
        dtype = resolve_dtype(settings.dtype, settings.options.get("default_dtype"), device)
        return replace(super().cache_identity(settings), dtype=dtype)

    def expect(self, requests: Sequence[Request]) -> None:
        """Prepared on this thread just before the current call's last batch runs, their first batch
        then encoded by the prefetcher while it does (see _prepare_expected)."""
        self._expected = list(requests)

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        import torch

        torch.manual_seed(self.settings.seed)
        ahead, self._ahead = self._ahead, None
        if ahead is not None and _same_requests(ahead[0], requests):
            prepared = ahead[1]
        else:
            prepared = self._prepare_generation(requests)
        try:
            results = self._run_batched(
                prepared,
                group_key=_generation_group,
                run=self._generate_batch,
                on_error=lambda item, error: _error_response(item, error),
                on_batch=on_batch,
                prefetcher=self.prefetcher,
                before_last=self._prepare_expected,
            )
        finally:
            self._expected = None  # told for the call after this one only
        return [results[index] for index in range(len(requests))]

    def _prepare_generation(self, requests: Sequence[Request]) -> list[PreparedRequest]:
        return self.preparer.prepare_many(
            [(index, request, request.generation.max_new_tokens) for index, request in enumerate(requests)]
        )

    def _prepare_expected(self) -> list[PreparedRequest]:
        """The expected call's requests prepared, and its first batch planned on the prefetcher; that
        batch is returned so the current call's end keeps its plan. Preparing stays on the model's
        thread (see transformers_requests.py): only the batch encode, which releases the interpreter
        lock, overlaps the current call's last batch. Without it, each call's first batch was encoded
        while the model waited (0.4 s of a 1,000-row run at batch 8 with the tiny model)."""
        expected, self._expected = self._expected, None
        if not expected:
            return []
        prepared = self._prepare_generation(expected)
        self._ahead = (expected, prepared)
        groups = _ordered_groups(prepared, _generation_group)
        first = groups[0][: self.batch_size] if groups else []
        self.prefetcher.plan(first)
        return first

    def _generate_batch(self, batch: list[PreparedRequest]) -> list[Response]:
        import torch

        params = batch[0].request.generation
        inputs = self._on_model(self.prefetcher.take(batch))
        tokenizer = self.processor.tokenizer
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                **decoding_kwargs(params),
                max_new_tokens=params.max_new_tokens,
                pad_token_id=tokenizer.pad_token_id,
                stop_strings=[stop for stop in params.stop if stop] or None,
                tokenizer=tokenizer if any(params.stop) else None,
            )
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        stop_ids = self._stop_token_ids()
        responses = []
        for item, tokens in zip(batch, new_tokens, strict=True):
            tokens = until_stop_token(tokens, stop_ids)
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            responses.append(
                Response(
                    request_id=item.request.request_id,
                    text=truncate_at_stop(text, params.stop),
                    prompt_tokens=item.prompt_tokens,
                    completion_tokens=len(tokens),
                )
            )
        return responses

    def _stop_token_ids(self) -> set[int]:
        """Tokens after which a row has finished: eos (one id or several) and padding."""
        eos = self.model.generation_config.eos_token_id
        ids = set(eos) if isinstance(eos, list) else {eos}
        ids.add(self.processor.tokenizer.pad_token_id)
        return {token for token in ids if token is not None}

    # loglikelihood

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        """Each continuation's value in the measure its request names (transformers_loglikelihood.py);
        NaN for a request that cannot be scored."""
        from model_adapters.transformers_loglikelihood import loglikelihoods

        return loglikelihoods(self, requests)

    # shared steps

    def _prepare(self, index: int, request: Request, reserve: int) -> PreparedRequest:
        return self.preparer.prepare_many([(index, request, reserve)])[0]

    def _full_prompt_count(self, text: str, images: Sequence[Image.Image]) -> int:
        """A prompt's length as the processor makes it, image preprocessing included."""
        return int(self._processor_inputs([text], [list(images)] if images else None)["input_ids"].shape[1])

    def _encode(self, batch: list[PreparedRequest]) -> BatchFeature:
        """Tokenize and preprocess a batch, on the model's device."""
        return self._on_model(self._batch_inputs(batch))

    def _batch_inputs(self, batch: list[PreparedRequest]) -> BatchFeature:
        images = [item.images for item in batch] if batch[0].images else None
        return self._processor_inputs([item.text for item in batch], images)

    def _processor_inputs(self, texts: list[str], images: list[list[Image.Image]] | None) -> BatchFeature:
        """The processor's tensors, on the CPU; the chat template already holds the special tokens."""
        return self.processor(
            text=texts, images=images, return_tensors="pt", padding=True, add_special_tokens=False
        )

    def _on_model(self, inputs: BatchFeature) -> BatchFeature:
        return inputs.to(self.model.device, dtype=self.model.dtype)

    def _run_batched(
        self,
        items: list[PreparedRequest],
        group_key: Callable[[PreparedRequest], Hashable],
        run: Callable[[list[PreparedRequest]], list[T]],
        on_error: Callable[[PreparedRequest, str], T],
        on_batch: Callable[[Sequence[int], Sequence[T]], None] | None = None,
        prefetcher: Prefetcher[PreparedRequest, BatchFeature] | None = None,
        before_last: Callable[[], list[PreparedRequest]] | None = None,
    ) -> dict[int, T]:
        """Run ready items in batches of similar length, halving the batch size on out-of-memory.

        Longest prompts go first so an out-of-memory error shows up early; the smaller batch size is kept
        for the rest of the run. At batch size 1 an out-of-memory error is that request's error. With a
        prefetcher, the next batch of the group is preprocessed while `run` works on this one;
        `before_last` runs once before the last batch and returns a batch it planned for the next call.
        """
        import torch

        results = {item.index: on_error(item, item.error) for item in items if item.error is not None}
        if on_batch is not None and results:
            on_batch(list(results), list(results.values()))
        groups = _ordered_groups(items, group_key)
        planned_ahead: list[PreparedRequest] | None = None
        for number, group in enumerate(groups):
            start = 0
            while start < len(group):
                batch = group[start : start + self.batch_size]
                if prefetcher is not None:
                    prefetcher.plan(batch)
                    prefetcher.plan(group[start + len(batch) : start + len(batch) + self.batch_size])
                last = number == len(groups) - 1 and start + len(batch) == len(group)
                if before_last is not None and last and planned_ahead is None:
                    planned_ahead = before_last()
                try:
                    outputs = run(batch)
                except torch.OutOfMemoryError as exc:
                    self._release_memory()
                    if len(batch) > 1:
                        self.batch_size = max(1, len(batch) // 2)
                        continue
                    outputs = [on_error(batch[0], f"out of memory at batch size 1: {first_line(exc)}")]
                results.update((item.index, output) for item, output in zip(batch, outputs, strict=True))
                if on_batch is not None:
                    on_batch([item.index for item in batch], outputs)
                start += len(batch)
        if prefetcher is not None:
            prefetcher.drop(keep=planned_ahead or ())
        return results

    def _release_memory(self) -> None:
        import torch

        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()


def _same_requests(expected: Sequence[Request], requests: Sequence[Request]) -> bool:
    """The very request objects told to `expect`, in order (equal copies are not assumed the same)."""
    return len(expected) == len(requests) and all(map(operator.is_, expected, requests))


def _generation_group(item: PreparedRequest) -> Hashable:
    """Requests batched together: the same number of images and the same decoding settings."""
    return (len(item.images), item.request.generation)


def _ordered_groups(
    items: Sequence[PreparedRequest], group_key: Callable[[PreparedRequest], Hashable]
) -> list[list[PreparedRequest]]:
    """The ready items in the order they run: by group (in order of first appearance), longest first."""
    groups: dict[Hashable, list[PreparedRequest]] = defaultdict(list)
    for item in items:
        if item.error is None:
            groups[group_key(item)].append(item)
    for group in groups.values():
        group.sort(key=lambda item: item.prompt_tokens + len(item.continuation_ids), reverse=True)
    return list(groups.values())


def _error_response(item: PreparedRequest, error: str) -> Response:
    return Response(
        request_id=item.request.request_id, text="", error=error, prompt_tokens=item.prompt_tokens or None
    )

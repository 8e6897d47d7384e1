"""The lmms-eval worker: runs inside the managed lmms-eval environment, never in tv-eval's own.

lmms-eval pins its own torch stack, so it lives in a virtual environment of its own
(tv_eval/bridges/lmms_env.py) and this script (with worker_loop.py beside it) is the only code that
runs there. It imports only the standard library, PIL and lmms-eval's stack, and is started with
`python -I`, once per run.

Protocol (tv_eval/bridges/worker_loop.py): one JSON line per command, one JSON line back.

Commands: `versions`; `load_tasks` (lmms-eval's TaskManager finds the task or group and builds its
requests as its evaluator does); `score` (its filters and process_results on predictions);
`aggregate` (its aggregation function on items); `load_model`, `generate` and `loglikelihood` (an
lmms-eval model class on lmms-eval Instances).
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

PACKAGES = (
    "lmms_eval",
    "torch",
    "torchvision",
    "transformers",
    "datasets",
    "accelerate",
    "filelock",
    "decord",
)
BRIDGE_TASK = "tv_eval_bridge"
BRIDGE_SPLIT = "test"


def versions() -> dict[str, str]:
    import lmms_eval.tasks  # noqa: F401 - a broken lmms-eval install fails here, not in a run

    return {name: version(name) for name in PACKAGES}


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a process_results item (tuples become lists, numpy scalars numbers)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class Tasks:
    """The lmms-eval tasks of this run, by name, with the Instances their evaluator would build."""

    def __init__(self) -> None:
        self.tasks: dict[str, Any] = {}
        self.chat: dict[str, bool] = {}

    def load(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """The task or group `name`, with the prompt variants lmms-eval picks for `model_name` (its
        `lmms_eval_specific_kwargs` and `model_specific_generation_kwargs`; None: their defaults)."""
        from lmms_eval.evaluator_utils import get_task_list
        from lmms_eval.tasks import TaskManager, get_task_dict

        name, chat, image_dir = request["name"], request["chat"], request["image_dir"]
        manager = TaskManager(
            "WARNING", include_path=request.get("include_path"), model_name=request.get("model_name")
        )
        task_dict = get_task_dict([name], manager, "chat" if chat else "simple")
        loaded = []
        for output in get_task_list(task_dict):
            task = output.task
            task.build_all_requests(rank=0, world_size=1)
            self.tasks[output.task_name] = task
            self.chat[output.task_name] = chat
            loaded.append(self._describe(output.task_name, task, Path(image_dir) / output.task_name))
        return loaded

    def _describe(self, name: str, task: Any, image_dir: Path) -> dict[str, Any]:
        image_dir.mkdir(parents=True, exist_ok=True)
        aggregation = task.aggregation()
        higher = task.higher_is_better()
        metrics = [
            {
                "name": metric,
                "aggregation": f"{function.__module__}.{function.__qualname__}",
                "higher_is_better": bool(higher.get(metric, True)),
            }
            for metric, function in aggregation.items()
        ]
        split = task.config.test_split if task.has_test_docs() else task.config.validation_split
        docs = task.dataset[split]
        return {
            "task": name,
            "output_type": task.OUTPUT_TYPE,
            "split": split,
            "dataset_path": str(task.config.dataset_path),
            "num_docs": len(docs),
            "metrics": metrics,
            "docs": [self._doc(task, name, instances, docs, image_dir) for instances in _by_doc(task)],
        }

    def _doc(self, task: Any, name: str, instances: list[Any], docs: Any, image_dir: Path) -> dict[str, Any]:
        first = instances[0]
        doc_id = first.doc_id
        doc = docs[doc_id]
        entry: dict[str, Any] = {
            "doc_id": doc_id,
            "fields": {key: _plain(value) for key, value in doc.items() if _is_scalar(value)},
            "target": _plain(task.doc_to_target(doc)),
        }
        if task.OUTPUT_TYPE != "generate_until":
            entry["continuations"] = [[instance.args[0], instance.args[1]] for instance in instances]
            entry["visuals"] = _save_visuals(task.doc_to_visual(doc), image_dir, doc_id)
            return entry
        if self.chat[name]:
            context, to_messages, gen_kwargs = first.args[0], first.args[1], first.args[2]
            entry["messages"] = _save_messages(to_messages(doc), image_dir, doc_id)
        else:
            context, gen_kwargs = first.args[0], first.args[1]
            entry["visuals"] = _save_visuals(task.doc_to_visual(doc), image_dir, doc_id)
        entry["context"] = context
        entry["gen_kwargs"] = _plain(gen_kwargs)
        return entry

    def score(self, name: str, predictions: dict[str, Any]) -> dict[str, Any]:
        """process_results on each doc's filtered response, after the task's own filters, as
        lmms-eval's evaluator does (on the docs without media, its default)."""
        task = self.tasks[name]
        wanted = {int(doc_id): value for doc_id, value in predictions.items()}
        instances = [instance for instance in task.instances if instance.doc_id in wanted]
        for instance in instances:
            value = wanted[instance.doc_id]
            instance.resps = [value[instance.idx] if isinstance(value, list) else value]
            instance.filtered_resps = {}
        every = task._instances
        task._instances = instances
        try:
            task.apply_filters()
        finally:
            task._instances = every
        docs = task.eval_docs_no_media
        key = next(iter(instances[0].filtered_resps)) if instances else "none"
        grouped: dict[int, list[Any]] = {}
        for instance in sorted(instances, key=lambda item: (item.doc_id, item.idx)):
            grouped.setdefault(instance.doc_id, []).append(instance.filtered_resps[key])
        return {
            str(doc_id): _plain(task.process_results(docs[doc_id], responses))
            for doc_id, responses in grouped.items()
        }

    def aggregate(self, name: str, include_path: str | None, metric: str, items: list[Any]) -> Any:
        """The task's aggregation function on `items`; a task this worker has not loaded (a saved run
        re-aggregated) is loaded first, without building its requests."""
        import inspect

        if name not in self.tasks:
            from lmms_eval.evaluator_utils import get_task_list
            from lmms_eval.tasks import TaskManager, get_task_dict

            manager = TaskManager("WARNING", include_path=include_path)
            for output in get_task_list(get_task_dict([name], manager)):
                self.tasks[output.task_name] = output.task
        task = self.tasks[name]
        function = task.aggregation()[metric]
        if "args" in inspect.signature(function).parameters:
            return _plain(function(items, args=task.args))
        return _plain(function(items))


def _by_doc(task: Any) -> list[list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for instance in task.instances:
        grouped.setdefault(instance.doc_id, []).append(instance)
    return [sorted(items, key=lambda item: item.idx) for _, items in sorted(grouped.items())]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _save_image(image: Any, image_dir: Path, stem: str) -> str:
    """A PIL image as a PNG file (lossless, mode kept): what the tv-eval side reads back as bytes."""
    path = image_dir / f"{stem}.png"
    image.save(path, format="PNG")
    return str(path)


def _save_visuals(visuals: Any, image_dir: Path, doc_id: int) -> list[dict[str, str]]:
    from PIL import Image

    saved = []
    for position, visual in enumerate(visuals or []):
        if isinstance(visual, Image.Image):
            saved.append({"type": "image", "path": _save_image(visual, image_dir, f"{doc_id}-{position}")})
        else:
            saved.append({"type": "unsupported", "path": str(visual)})
    return saved


def _save_messages(messages: list[dict[str, Any]], image_dir: Path, doc_id: int) -> list[dict[str, Any]]:
    from PIL import Image

    saved, count = [], 0
    for message in messages:
        parts = []
        for part in message["content"]:
            if part["type"] == "text":
                parts.append({"type": "text", "text": part["text"]})
            elif part["type"] == "image" and isinstance(part["url"], Image.Image):
                parts.append(
                    {"type": "image", "path": _save_image(part["url"], image_dir, f"{doc_id}-{count}")}
                )
                count += 1
            else:
                parts.append({"type": "unsupported", "path": str(part.get("url"))})
        saved.append({"role": message["role"], "content": parts})
    return saved


class Model:
    """An lmms-eval model class, fed Instances whose docs hold the request's images."""

    def __init__(self, name: str, arguments: str, force_simple: bool, settings: dict[str, Any]) -> None:
        from lmms_eval import models

        model_class = models.get_model(name, force_simple)
        self.model = model_class.create_from_arg_string(arguments, settings)
        self.is_simple = bool(getattr(self.model, "is_simple", True))
        self.description = f"{model_class.__module__}.{model_class.__qualname__}"

    def _instances(self, request_type: str, arguments: list[tuple[Any, ...]]) -> list[Any]:
        from lmms_eval.api.instance import Instance

        return [
            Instance(
                request_type=request_type,
                arguments=argument,
                idx=0,
                metadata={"task": BRIDGE_TASK, "doc_id": position, "repeats": 1},
            )
            for position, argument in enumerate(arguments)
        ]

    def generate(self, requests: list[dict[str, Any]]) -> list[str]:
        from lmms_eval.api.instance import unwrap_generation_output

        docs = {position: _open_doc(request["messages"]) for position, request in enumerate(requests)}
        self.model.task_dict = {BRIDGE_TASK: {BRIDGE_SPLIT: docs}}
        arguments = []
        for position, request in enumerate(requests):
            kwargs = dict(request["gen_kwargs"])
            if self.is_simple:
                context = "".join(part["text"] for part in docs[position]["parts"] if part["type"] == "text")
                arguments.append((context, kwargs, _doc_visuals, position, BRIDGE_TASK, BRIDGE_SPLIT))
            else:
                arguments.append(("", _doc_messages, kwargs, position, BRIDGE_TASK, BRIDGE_SPLIT))
        outputs = self.model.generate_until(self._instances("generate_until", arguments))
        return [str(unwrap_generation_output(output)[0]) for output in outputs]

    def loglikelihood(self, requests: list[dict[str, Any]]) -> list[list[Any]]:
        docs = {position: _open_doc(request["messages"]) for position, request in enumerate(requests)}
        self.model.task_dict = {BRIDGE_TASK: {BRIDGE_SPLIT: docs}}
        arguments = [
            (
                "".join(part["text"] for part in docs[position]["parts"] if part["type"] == "text"),
                request["continuation"],
                _doc_visuals,
                position,
                BRIDGE_TASK,
                BRIDGE_SPLIT,
            )
            for position, request in enumerate(requests)
        ]
        outputs = self.model.loglikelihood(self._instances("loglikelihood", arguments))
        return [[float(value), bool(greedy)] for value, greedy in outputs]


def _open_doc(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A request's messages with each image file opened (PIL), in the shapes lmms-eval models read."""
    from PIL import Image

    chat, parts = [], []
    for message in messages:
        content = []
        for part in message["content"]:
            if part["type"] == "image":
                image = Image.open(part["path"])
                image.load()
                content.append({"type": "image", "url": image})
            else:
                content.append({"type": "text", "text": part["text"]})
        parts.extend(content)
        chat.append({"role": message["role"], "content": content})
    return {"messages": chat, "parts": parts}


def _doc_visuals(doc: dict[str, Any]) -> list[Any]:
    return [part["url"] for part in doc["parts"] if part["type"] == "image"]


def _doc_messages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["messages"]


class Worker:
    def __init__(self) -> None:
        self.tasks = Tasks()
        self.model: Model | None = None

    def handle(self, request: dict[str, Any], _send: Any = None) -> Any:
        command = request["command"]
        if command == "versions":
            return versions()
        if command == "load_tasks":
            return self.tasks.load(request)
        if command == "score":
            return self.tasks.score(request["task"], request["predictions"])
        if command == "aggregate":
            return self.tasks.aggregate(
                request["task"], request.get("include_path"), request["metric"], request["items"]
            )
        if command == "load_model":
            self.model = Model(
                request["name"], request["arguments"], request["force_simple"], request["settings"]
            )
            return {"class": self.model.description, "is_simple": self.model.is_simple}
        if self.model is None:
            raise RuntimeError("no model loaded")
        if command == "generate":
            return self.model.generate(request["requests"])
        if command == "loglikelihood":
            return self.model.loglikelihood(request["requests"])
        raise ValueError(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # `-I` leaves the script's folder out
    from worker_loop import main

    main(lambda: Worker().handle, versions)

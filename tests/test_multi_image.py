"""Samples with several images: each image where the prompt's text refers to it, through the request,
its cache key and both adapters' wire formats; single-image requests stay exactly as they were."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import ClassVar

import pytest

from model_adapters.openai_adapter import OpenAIAdapter
from tests.openai_server import image_parts, serve
from tv_eval.core.adapter import AdapterSettings
from tv_eval.core.interleave import IMAGE_SLOT, ImageSlotError, interleaved_content
from tv_eval.core.task import DataSource
from tv_eval.core.types import ImageInput, ImagePart, ModelIdentity, Request, Sample, TextPart
from tv_eval.data.synthetic import shape_image
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.cache import request_key
from tv_eval.tasking.dataset_task import GenerativeTask
from tv_eval.tasking.rows import DataPart, LoadContext, RowReader

RED = ImageInput.from_bytes(shape_image("circle", "red"))
BLUE = ImageInput.from_bytes(shape_image("square", "blue"))
GREEN = ImageInput.from_bytes(shape_image("triangle", "green"))
IDENTITY = ModelIdentity(model_id="m", revision="r", adapter="a", adapter_version="1")


class PlainTask(GenerativeTask):
    """The base's request building, with the sample's text as the prompt."""

    name = "plain"
    description = "test task"
    config_path: ClassVar[Path] = Path(__file__).parent / "data" / "plain_task.yaml"

    def max_new_tokens(self, sample: Sample) -> int:
        return 8

    def prompt(self, sample: Sample, scoring: str) -> str:
        return sample.text


def sample(text: str, **fields: object) -> Sample:
    return Sample(sample_id="s", task="plain", language="en", reference="A", text=text, **fields)  # type: ignore[arg-type]


def described(request: Request) -> list[str]:
    """The user turn as a list: text pieces as they are, images by their content."""
    names = {RED.sha256: "red", BLUE.sha256: "blue", GREEN.sha256: "green"}
    return [
        names[part.image.sha256] if isinstance(part, ImagePart) else part.text  # type: ignore[union-attr]
        for part in request.messages[0].content
    ]


def test_images_go_into_their_slots_in_order() -> None:
    text = f"Compare {IMAGE_SLOT} with {IMAGE_SLOT}.{IMAGE_SLOT}"
    content = interleaved_content(text, [RED, BLUE, RED])
    assert content == (
        TextPart("Compare "),
        ImagePart(RED),
        TextPart(" with "),
        ImagePart(BLUE),
        TextPart("."),
        ImagePart(RED),
    )
    assert interleaved_content(f"{IMAGE_SLOT}{IMAGE_SLOT}Which?", [BLUE, RED]) == (
        ImagePart(BLUE),
        ImagePart(RED),
        TextPart("Which?"),
    )


@pytest.mark.parametrize("images", [[RED], [RED, BLUE, GREEN]])
def test_a_missing_or_surplus_image_is_an_error(images: list[ImageInput]) -> None:
    with pytest.raises(ImageSlotError, match=f"2 image slot\\(s\\) for {len(images)} image"):
        interleaved_content(f"{IMAGE_SLOT} and {IMAGE_SLOT}", images)


def test_request_interleaves_a_multi_image_sample_and_keeps_single_image_ones() -> None:
    task = PlainTask()
    multi = task.build_request(
        sample(f"Is {IMAGE_SLOT} bigger than {IMAGE_SLOT}?", images=(BLUE, RED)), "robust"
    )
    assert described(multi) == ["Is ", "blue", " bigger than ", "red", "?"]
    assert multi.images == (BLUE, RED)
    assert multi.prompt_text == "user: Is <image> bigger than <image>?"
    single = task.build_request(sample("What colour?", image=RED), "robust")
    assert single.messages[0].content == (ImagePart(RED), TextPart("What colour?"))
    assert single.prompt_text == "user: <image>What colour?"


def test_cache_key_follows_every_image_in_order() -> None:
    task = PlainTask()
    text = f"{IMAGE_SLOT} or {IMAGE_SLOT}?"
    keys = {
        order: request_key(IDENTITY, task.build_request(sample(text, images=images), "robust"))
        for order, images in {"rb": (RED, BLUE), "br": (BLUE, RED), "rg": (RED, GREEN)}.items()
    }
    assert len(set(keys.values())) == 3
    again = request_key(IDENTITY, task.build_request(sample(text, images=(RED, BLUE)), "robust"))
    assert again == keys["rb"]
    one = request_key(IDENTITY, task.build_request(sample(f"{IMAGE_SLOT} or ?", images=(RED,)), "robust"))
    assert one not in keys.values()


def test_openai_body_has_the_image_parts_where_the_text_refers_to_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    request = PlainTask().build_request(
        sample(f"A {IMAGE_SLOT} B {IMAGE_SLOT}", images=(GREEN, RED)), "robust"
    )
    with serve(lambda messages, body: "ok", api_key="sk-test") as server:
        adapter = OpenAIAdapter(AdapterSettings(model_id="served", options={"base_url": server.base_url}))
        assert adapter.generate([request])[0].text == "ok"
        (body,) = server.state.bodies
    content = body["messages"][0]["content"]
    assert [part["type"] for part in content] == ["text", "image_url", "text", "image_url"]
    assert [content[0]["text"], content[2]["text"]] == ["A ", " B "]
    assert image_parts(body) == [GREEN.data, RED.data]


def reader(row: dict, columns: dict[str, str]) -> RowReader:
    context = LoadContext("plain", "x/y", DataSource(use_sample=True), joshi_tier_map(), Path("."))
    return RowReader(context, row, columns, DataPart(split="test"), "s")


def test_base64_image_cells_and_the_cluster_of_several_images() -> None:
    row = {"a": base64.b64encode(RED.data).decode(), "b": "not base64!", "c": ""}
    read = reader(row, {"a": "a", "b": "b", "c": "c"})
    assert read.base64_image("a") == RED
    assert read.base64_image("b") is None and read.base64_image("c") is None
    assert read.errors[0].startswith("b: image is not valid base64") and read.errors[1] == "c: missing image"
    pair, swapped = (
        reader({}, {}).sample("en", reference="", images=images) for images in ((RED, BLUE), (BLUE, RED))
    )
    assert pair.cluster_id != swapped.cluster_id and pair.cluster_id not in (RED.sha256, BLUE.sha256)
    assert reader({}, {}).sample("en", reference="", images=(RED, BLUE)).cluster_id == pair.cluster_id

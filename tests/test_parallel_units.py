"""Work units and worker placement: every request in exactly one unit, the costliest first, and each
worker pinned to its own devices."""

from __future__ import annotations

import importlib.machinery
import subprocess
import sys
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tv_eval.core.adapter import AdapterSettings
from tv_eval.core.types import GenerationParams, ImageInput, ImagePart, Message, Request, TextPart
from tv_eval.pipeline.parallel import placement
from tv_eval.pipeline.parallel.placement import (
    PlacementError,
    gpus_per_worker,
    local_placements,
    resolve_worker_count,
)
from tv_eval.pipeline.parallel.units import UnitKind, expected_cost, plan_units, unit_size_for

IMAGE = ImageInput.from_bytes(b"not really an image")


def request(request_id: str, text: str = "q", images: int = 0, max_new_tokens: int = 16) -> Request:
    parts = (*(ImagePart(IMAGE) for _ in range(images)), TextPart(text))
    return Request(
        request_id, (Message("user", parts),), generation=GenerationParams(max_new_tokens=max_new_tokens)
    )


def test_cost_grows_with_prompt_images_and_answer_length() -> None:
    base = expected_cost(request("a"))
    assert expected_cost(request("a", text="q" * 400)) > base
    assert expected_cost(request("a", images=2)) > expected_cost(request("a", images=1)) > base
    assert expected_cost(request("a", max_new_tokens=512)) > base


@given(
    lengths=st.lists(st.integers(min_value=0, max_value=300), max_size=60),
    unit_size=st.integers(min_value=1, max_value=9),
)
def test_units_partition_the_requests_costliest_first(lengths: list[int], unit_size: int) -> None:
    requests = [request(f"r{i}", text="x" * n) for i, n in enumerate(lengths)]
    units = plan_units(requests, unit_size, UnitKind.GENERATE)
    positions = [p for unit in units for p in unit.positions]
    assert sorted(positions) == list(range(len(requests)))
    assert all(1 <= len(unit.positions) <= unit_size for unit in units)
    assert [unit.cost for unit in units] == sorted((unit.cost for unit in units), reverse=True)
    for unit in units:
        assert [requests[p] for p in unit.positions] == list(unit.requests)


def test_units_group_requests_of_similar_cost() -> None:
    requests = [request(f"r{i}", text="x" * length) for i, length in enumerate([1, 900, 2, 800, 3, 700])]
    units = plan_units(requests, 3, UnitKind.GENERATE)
    assert [sorted(unit.positions) for unit in units] == [[1, 3, 5], [0, 2, 4]]


def test_unit_sizes() -> None:
    assert unit_size_for(1000, 2, batch_size=16, streaming=False) == 16
    assert unit_size_for(1000, 2, batch_size=None, streaming=False) == 8
    assert unit_size_for(1000, 2, batch_size=None, streaming=True) == 125
    assert unit_size_for(10_000, 2, batch_size=None, streaming=True) == 256
    assert unit_size_for(3, 4, batch_size=None, streaming=True) == 1
    with pytest.raises(ValueError):
        plan_units([request("a")], 0, UnitKind.GENERATE)


def settings(device: str = "auto", **options: object) -> AdapterSettings:
    return AdapterSettings(model_id="m", device=device, options=options)


def test_gpu_workers_get_their_own_group_of_the_visible_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    assert resolve_worker_count("auto", settings()) == 4
    assert resolve_worker_count("auto", settings(tensor_parallel_size="2")) == 2
    placements = local_placements(2, settings("cuda", tensor_parallel_size="2"))
    assert [p.environment["CUDA_VISIBLE_DEVICES"] for p in placements] == ["4,5", "6,7"]
    assert {p.settings.device for p in placements} == {"cuda"}
    with pytest.raises(PlacementError, match="need 6 GPUs; 4 are visible"):
        local_placements(3, settings("cuda", tensor_parallel_size="2"))
    with pytest.raises(PlacementError, match="names one GPU"):
        local_placements(2, settings("cuda:1"))


def test_cpu_workers_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert resolve_worker_count("auto", settings()) == 1
    placements = local_placements(4, settings())
    assert [p.settings.options["threads"] for p in placements] == [2, 2, 2, 2]
    assert {p.settings.device for p in placements} == {"cpu"}
    assert local_placements(2, settings(threads=1))[0].settings.options["threads"] == 1


def test_tensor_parallel_size_must_be_a_count() -> None:
    assert gpus_per_worker({}) == 1
    with pytest.raises(PlacementError, match="positive integer"):
        gpus_per_worker({"tensor_parallel_size": "two"})


# Placing the workers in a fresh interpreter: the driver must not import torch only to learn that the
# workers run on the CPU (that import took it 2 s, while the workers were waiting to be started).
PLACE_WITHOUT_TORCH = """
import sys
from tv_eval.core import devices
from tv_eval.core.adapter import AdapterSettings
from tv_eval.pipeline.parallel import placement
devices.metadata.version = lambda name: "2.13.0"  # a build that could have CUDA
devices.GPU_DEVICE_NODES = ("*",) if sys.argv[1] == "driver" else ("no-such-gpu-node-*",)
settings = AdapterSettings(model_id="m", device=sys.argv[2])
placement.local_placements(placement.resolve_worker_count("auto", settings), settings)
print("torch" in sys.modules)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the GPU check reads Linux's /dev")
@pytest.mark.parametrize(
    ("driver", "device"), [("driver", "cpu"), ("no-driver", "auto"), ("no-driver", "cpu")]
)
def test_placing_cpu_workers_does_not_import_torch(
    driver: str, device: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--device cpu` asks for no GPU count even where a GPU driver is loaded; `auto` asks torch only
    where one is."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    found = subprocess.run(
        [sys.executable, "-c", PLACE_WITHOUT_TORCH, driver, device],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "False"


def test_where_a_gpu_is_possible_torch_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    asked: list[str] = []
    cuda = types.SimpleNamespace(
        is_available=lambda: asked.append("available") or True, device_count=lambda: 2
    )
    torch = types.SimpleNamespace(cuda=cuda, __spec__=importlib.machinery.ModuleSpec("torch", None))
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setattr(placement, "gpu_possible", lambda: False)
    assert placement.visible_gpus() == []
    assert asked == []
    monkeypatch.setattr(placement, "gpu_possible", lambda: True)
    assert placement.visible_gpus() == ["0", "1"]
    assert asked == ["available"]

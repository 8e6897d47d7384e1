"""How the transformers adapter picks its dtype (decided before loading, for the cache key)."""

from __future__ import annotations

import pytest

from model_adapters.transformers_config import resolve_dtype
from tv_eval.core.adapter import ModelLoadError

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("requested", "default", "device", "bf16", "expected"),
    [
        ("auto", None, "cpu", False, "float32"),
        ("auto", "bfloat16", "cpu", False, "float32"),
        ("bfloat16", None, "cpu", False, "bfloat16"),
        ("float16", "bfloat16", "cuda", True, "float16"),
        ("auto", None, "cuda", True, "bfloat16"),
        ("auto", None, "cuda", False, "float16"),
        ("auto", "bfloat16", "cuda", False, "float16"),
        ("auto", "float32", "cuda", True, "float32"),
    ],
)
def test_dtype_resolution(
    monkeypatch: pytest.MonkeyPatch,
    requested: str,
    default: str | None,
    device: str,
    bf16: bool,
    expected: str,
) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16)
    assert resolve_dtype(requested, default, device) == expected


def test_unknown_dtype_is_rejected() -> None:
    with pytest.raises(ModelLoadError, match="unsupported dtype"):
        resolve_dtype("int3", None, "cpu")

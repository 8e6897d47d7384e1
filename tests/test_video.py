"""Frame sampling and decoding on generated clips whose frames carry their own index."""

from __future__ import annotations

from pathlib import Path

import pytest

from tv_eval.core.types import ImagePart, Message, Request, TextPart, VideoPart
from tv_eval.data.video import (
    VideoDecodeError,
    count_frames,
    expand_video_parts,
    indexed_clip,
    read_index_pattern,
    sample_frames,
    uniform_frame_indices,
    video_input,
)


@pytest.mark.parametrize(
    ("total", "wanted", "expected"),
    [
        (0, 8, []),
        (1, 8, [0]),
        (5, 8, [0, 1, 2, 3, 4]),
        (8, 8, list(range(8))),
        (10, 4, [1, 3, 6, 8]),
        (16, 4, [2, 6, 10, 14]),
        (33, 8, [2, 6, 10, 14, 18, 22, 26, 30]),
        (100, 3, [16, 50, 83]),
        (64, 32, list(range(1, 64, 2))),
    ],
)
def test_uniform_indices_are_segment_centres(total: int, wanted: int, expected: list[int]) -> None:
    assert uniform_frame_indices(total, wanted) == expected


def test_uniform_indices_properties() -> None:
    for total in range(1, 200, 7):
        for wanted in (1, 2, 8, 32):
            indices = uniform_frame_indices(total, wanted)
            assert len(indices) == min(total, wanted)
            assert indices == sorted(set(indices))
            assert all(0 <= index < total for index in indices)
    with pytest.raises(ValueError, match="at least 1"):
        uniform_frame_indices(10, 0)


@pytest.mark.parametrize(("total", "wanted"), [(1, 4), (7, 7), (16, 4), (37, 8), (120, 32)])
def test_decoded_frames_are_exactly_the_sampled_ones(tmp_path: Path, total: int, wanted: int) -> None:
    path = indexed_clip(tmp_path / f"clip{total}.mp4", total)
    assert count_frames(path) == total
    frames = sample_frames(path, wanted)
    assert [read_index_pattern(frame) for frame in frames] == uniform_frame_indices(total, wanted)
    assert frames[0].size == (160, 96)


def test_unreadable_video(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    with pytest.raises(VideoDecodeError):
        sample_frames(broken, 4)


def test_expand_video_parts_keeps_order_and_other_parts(tmp_path: Path) -> None:
    clip = video_input(indexed_clip(tmp_path / "c.mp4", 12))
    request = Request(
        request_id="r",
        messages=(
            Message(role="system", content=(TextPart("sys"),)),
            Message(role="user", content=(TextPart("before"), VideoPart(clip, 3), TextPart("after"))),
        ),
    )
    assert request.prompt_text == "system: sys\nuser: before<video>after"
    expanded = expand_video_parts(request)
    parts = expanded.messages[1].content
    assert [type(part).__name__ for part in parts] == [
        "TextPart",
        "ImagePart",
        "ImagePart",
        "ImagePart",
        "TextPart",
    ]
    assert expanded.messages[0] == request.messages[0]
    assert not expanded.videos and len(expanded.images) == 3
    assert all(isinstance(part, ImagePart) and part.image.data[:2] == b"\xff\xd8" for part in parts[1:4])
    assert expand_video_parts(expanded) is expanded


def test_video_input_hashes_content_once(tmp_path: Path) -> None:
    path = indexed_clip(tmp_path / "c.mp4", 5)
    hashes: dict[Path, str] = {}
    first = video_input(path, hashes)
    path.write_bytes(b"changed")  # the memo is per run: the first hash stands
    assert video_input(path, hashes) == first
    assert video_input(path) != first

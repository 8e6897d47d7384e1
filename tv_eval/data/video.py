"""Video for benchmarks and adapters: uniform frame sampling, decoding with PyAV, generated test clips.

Video reaches a model as a handful of frames sampled uniformly over the clip (the protocol of the
video benchmarks tv-eval runs), so decoding lives here in the core, once, and every adapter that
cannot take video natively calls `expand_video_parts` to turn a request's videos into images.
PyAV is imported inside functions: importing this module stays cheap, and PyAV needs no ffmpeg
binary.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from tv_eval.core.io import first_line
from tv_eval.core.types import ImageInput, ImagePart, Message, Request, TextPart, VideoInput, VideoPart

if TYPE_CHECKING:
    from PIL import Image

FRAME_JPEG_QUALITY = 90
# Pixel blocks used by generated test clips to write each frame's index into the picture itself.
_INDEX_BITS = 10


class VideoDecodeError(ValueError):
    """A video that cannot be opened or holds no decodable frame."""


def uniform_frame_indices(total_frames: int, num_frames: int) -> list[int]:
    """Indices of `num_frames` frames spread uniformly over `total_frames`: each the middle of its segment.

    The clip is cut into `num_frames` equal segments and the frame at the centre of each is taken
    (floor of (i + 0.5) * total / n), so the first and last frames are never systematically favoured.
    A clip with no more frames than asked for gives every frame once.
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be at least 1, got {num_frames}")
    if total_frames <= 0:
        return []
    if total_frames <= num_frames:
        return list(range(total_frames))
    return [int((index + 0.5) * total_frames / num_frames) for index in range(num_frames)]


def count_frames(path: Path) -> int:
    """Number of video frames: the container's count where it states one, else counted by demuxing."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoDecodeError("no video stream")
            stream = container.streams.video[0]
            if stream.frames:
                return int(stream.frames)
            return sum(1 for packet in container.demux(stream) if packet.size)
    except (av.error.FFmpegError, OSError) as error:
        raise VideoDecodeError(first_line(error)) from error


def sample_frames(path: Path, num_frames: int) -> list[Image.Image]:
    """The uniformly sampled frames of a video file, as RGB pictures, in temporal order."""
    import av

    total = count_frames(path)
    wanted = uniform_frame_indices(total, num_frames)
    if not wanted:
        raise VideoDecodeError("video has no frames")
    targets = set(wanted)
    last = wanted[-1]
    frames = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for index, frame in enumerate(container.decode(stream)):
                if index in targets:
                    frames.append(frame.to_image())
                if index >= last:
                    break
    except (av.error.FFmpegError, OSError) as error:
        raise VideoDecodeError(first_line(error)) from error
    if len(frames) != len(wanted):
        raise VideoDecodeError(f"decoded {len(frames)} of the {len(wanted)} frames sampled from {total}")
    return frames


def encode_jpeg(image: Image.Image, quality: int = FRAME_JPEG_QUALITY) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def video_frames(part: VideoPart) -> list[ImageInput]:
    """A request's video as encoded frames, ready to travel as images.

    Benchmarks ask several questions about one clip, so the frames of recent clips are kept (keyed on
    the content hash and frame count): a clip is decoded once per run, not once per question.
    """
    return list(_cached_frames(part.video.path, part.video.sha256, part.num_frames))


@lru_cache(maxsize=64)
def _cached_frames(path: str, sha256: str, num_frames: int) -> tuple[ImageInput, ...]:
    return tuple(ImageInput.from_bytes(encode_jpeg(frame)) for frame in sample_frames(Path(path), num_frames))


def expand_video_parts(
    request: Request, frames_of: Callable[[VideoPart], list[ImageInput]] = video_frames
) -> Request:
    """The request with every video replaced by its sampled frames as images (raises VideoDecodeError)."""
    if not request.videos:
        return request
    messages = []
    for message in request.messages:
        content: list[TextPart | ImagePart] = []
        for part in message.content:
            if isinstance(part, VideoPart):
                content.extend(ImagePart(frame) for frame in frames_of(part))
            else:
                content.append(part)
        messages.append(Message(role=message.role, content=tuple(content)))
    return replace(request, messages=tuple(messages))


def video_input(path: Path, hashes: dict[Path, str] | None = None) -> VideoInput:
    """A VideoInput for a file, hashing its content once per path (`hashes` memoizes across samples)."""
    resolved = path.resolve()
    if hashes is not None and resolved in hashes:
        return VideoInput(path=str(resolved), sha256=hashes[resolved])
    digest = hashlib.sha256()
    with resolved.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if hashes is not None:
        hashes[resolved] = digest.hexdigest()
    return VideoInput(path=str(resolved), sha256=digest.hexdigest())


# Generated clips (bundled samples and tests): no video may be downloaded here.


def index_pattern(index: int, size: tuple[int, int], colour: tuple[int, int, int]) -> Image.Image:
    """A frame whose top band writes `index` in binary as black/white blocks, above a coloured field.

    The blocks are large, so the index survives lossy compression and can be read back exactly
    (`read_index_pattern`), which is how tests check which frames were sampled.
    """
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    block = width // _INDEX_BITS
    band = max(block, height // 4)
    for bit in range(_INDEX_BITS):
        on = (index >> bit) & 1
        draw.rectangle(
            (bit * block, 0, (bit + 1) * block - 1, band - 1), fill=(255, 255, 255) if on else (0, 0, 0)
        )
    return image


def read_index_pattern(image: Image.Image) -> int:
    """The index written by `index_pattern`, read from the centre of each block."""
    width, height = image.size
    block = width // _INDEX_BITS
    band = max(block, height // 4)
    grey = image.convert("L")
    return sum(
        1 << bit for bit in range(_INDEX_BITS) if grey.getpixel((bit * block + block // 2, band // 2)) > 127
    )


def write_video(
    path: Path,
    frames: Sequence[Image.Image],
    *,
    fps: int = 8,
    codec: str = "mpeg4",
) -> Path:
    """Encode pictures as an MP4 clip with PyAV (the built-in MPEG-4 encoder: no external codec)."""
    import av

    if not frames:
        raise ValueError("a video needs at least one frame")
    width, height = frames[0].size
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"qscale": "2"}
        for picture in frames:
            frame = av.VideoFrame.from_image(picture.convert("RGB"))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def indexed_clip(
    path: Path,
    num_frames: int,
    *,
    size: tuple[int, int] = (160, 96),
    colour: tuple[int, int, int] = (30, 60, 220),
    fps: int = 8,
) -> Path:
    """A clip of `num_frames` frames, frame i showing index i (see `index_pattern`) over one colour."""
    return write_video(path, [index_pattern(index, size, colour) for index in range(num_frames)], fps=fps)

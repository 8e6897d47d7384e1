"""Video decoding time per sample: open a clip, count its frames, decode and sample N uniformly, encode JPEGs.

This is the work an adapter does the first time it meets a clip (tv_eval.data.video.video_frames, which then
keeps the frames for the clip's other questions; the timing below bypasses that cache). Clips are generated
with PyAV at a chosen size, length and frame rate, so the measurement needs no download:

    python bench/video_decode.py --seconds 30 --fps 30 --size 640x360 --frames 8 32
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from tv_eval.data.video import encode_jpeg, sample_frames, uniform_frame_indices, video_input, write_video


def moving_clip(path: Path, seconds: float, fps: int, size: tuple[int, int]) -> Path:
    """A textured, moving picture, so the encoder produces realistic inter frames."""
    width, height = size
    count = int(seconds * fps)
    frames = []
    for index in range(count):
        image = Image.new("RGB", size, ((index * 3) % 256, 80, 160))
        draw = ImageDraw.Draw(image)
        for stripe in range(0, width, 16):
            draw.line((stripe + index % 16, 0, stripe, height), fill=(255, (stripe * 7) % 256, 0), width=3)
        x = (index * 7) % max(1, width - 60)
        draw.ellipse((x, height // 3, x + 60, height // 3 + 60), fill=(240, 240, 30))
        frames.append(image)
    return write_video(path, frames, fps=fps)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--frames", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    width, height = (int(part) for part in args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        path = moving_clip(Path(folder) / "clip.mp4", args.seconds, args.fps, (width, height))
        clip = video_input(path)
        total = int(args.seconds * args.fps)
        print(
            f"clip: {args.seconds:g} s at {args.fps} fps, {width}x{height}, {total} frames, "
            f"MPEG-4 Part 2, {path.stat().st_size / 1e6:.1f} MB"
        )
        for frames in args.frames:
            timings = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                images = [encode_jpeg(frame) for frame in sample_frames(Path(clip.path), frames)]
                timings.append(time.perf_counter() - started)
            assert len(images) == len(uniform_frame_indices(total, frames))
            print(
                f"{frames:>3} frames per sample: median {statistics.median(timings) * 1000:7.1f} ms, "
                f"min {min(timings) * 1000:7.1f} ms over {args.repeats} runs"
            )


if __name__ == "__main__":
    main()

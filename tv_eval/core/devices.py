"""Whether a GPU can be in reach at all, answered without importing torch.

Importing torch takes seconds. A fully cached rerun needs the device only to name its cache key, and a
run with worker processes needs the GPU count only to place the workers, which import torch
themselves; both ask here first and import torch only where a GPU is possible.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

# Device nodes a Linux GPU driver creates (NVIDIA, AMD ROCm, WSL's GPU bridge): without any of them torch
# cannot see a GPU.
GPU_DEVICE_NODES = ("nvidia[0-9]*", "kfd", "dxg")


def gpu_possible() -> bool:
    """False only when no GPU can be in reach: a CPU-only torch build, macOS (no CUDA), or a Linux
    machine without a GPU driver's device node. Anywhere else torch decides."""
    try:
        if metadata.version("torch").endswith("+cpu"):
            return False
    except metadata.PackageNotFoundError:
        return True
    if sys.platform == "darwin":
        return False
    if sys.platform.startswith("linux"):
        return any(any(Path("/dev").glob(pattern)) for pattern in GPU_DEVICE_NODES)
    return True

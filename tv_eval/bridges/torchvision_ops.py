"""Start-up shim for the managed lmms-eval environment, installed there only when needed.

torchvision's PyPI wheels for torch 2.13 are CUDA builds whose compiled operators do not load beside
the CPU torch, and importing torchvision then fails on `operator torchvision::nms does not exist`.
Declaring the two operator schemas its Python side registers kernels for lets the import go through:
the pure-torch transforms lmms-eval's image paths use work; detection operators (nms) do not, and
raise when called. A `.pth` file imports this module at interpreter start-up, before lmms-eval does.
"""

import torch

_LIBRARY = torch.library.Library("torchvision", "DEF")
_LIBRARY.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_LIBRARY.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")

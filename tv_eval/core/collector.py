"""The garbage collector paused while a run starts up, and kept off what start-up built.

Starting a run builds hundreds of thousands of objects that live until the run ends: the modules of
pydantic, datasets, torch and transformers, the rows, the model. Python's collector walks every one
of them at each full pass, and start-up triggers several: in a 16-row run of the tiny model, 7 full
passes took 0.85 s of its 8.1 s (traced with `gc.callbacks`), over objects that were all still in
use. So `tv-eval run` pauses the collector when it starts, and once the model is loaded (in the
driver, and in each worker process) it freezes what exists (`gc.freeze`: later passes skip it) and
collects again. Reference counting frees everything else as usual meanwhile; only garbage that
refers to itself in a cycle waits, and what start-up left of it is kept until the run ends, when
the frozen objects go back to the collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class _CollectorState:
    paused: bool = False


_STATE = _CollectorState()


def resume_collection() -> None:
    """Start-up is over (the model is loaded): freeze what it built and collect from here on. Does
    nothing where the collector was not paused by `paused_start_up` (a Ray actor, a library call)."""
    if _STATE.paused:
        _STATE.paused = False
        gc.freeze()
        gc.enable()


@contextmanager
def paused_start_up() -> Iterator[None]:
    """The collector off from here until `resume_collection`; everything as before on the way out."""
    pausing = gc.isenabled()
    if pausing:
        gc.disable()
        _STATE.paused = True
    try:
        yield
    finally:
        if pausing:
            resume_collection()  # where nothing resumed it (the run failed before its model loaded)
            gc.unfreeze()

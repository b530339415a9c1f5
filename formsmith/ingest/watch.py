"""Watch a scanner's output folder: take each file once its size has stopped changing, ingest it."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from . import preflight
from .model import IngestJob


def stable_files(folder: Path, seen: dict[Path, tuple[int, int, float]], settle: float,
                 now: float) -> list[Path]:
    """Files whose (size, mtime) has not changed for `settle` seconds; `seen` tracks first sight."""
    ready = []
    for path in preflight.expand([folder]):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        sig = (st.st_size, st.st_mtime_ns)
        prev = seen.get(path)
        if prev is None or prev[:2] != sig:
            seen[path] = (*sig, now)            # new or still growing: start the clock again
        elif now - prev[2] >= settle and st.st_size > 0:
            ready.append(path)
    return ready


def watch(ws, folder: Path, *, run: Callable[[list[Path]], IngestJob], interval: float = 2.0,
          settle: float = 5.0, rounds: int | None = None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Poll `folder` every `interval` s; hand stable files to `run` (each file once). Returns rounds run.

    A file is taken again only if it changes afterwards (a scanner overwriting its output).
    `rounds` limits the polls (None: until interrupted).
    """
    folder = Path(folder)
    seen: dict[Path, tuple[int, int, float]] = {}
    done: dict[Path, tuple[int, int]] = {}
    n = 0
    while rounds is None or n < rounds:
        n += 1
        ready = [p for p in stable_files(folder, seen, settle, time.monotonic())
                 if done.get(p) != seen[p][:2]]
        if ready:
            for p in ready:
                done[p] = seen[p][:2]
            run(ready)
        if rounds is None or n < rounds:
            sleep(interval)
    return n

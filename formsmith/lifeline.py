"""Helper processes that do not outlive the formsmith that started them."""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path


def die_with_parent(main_pid: int | None = None) -> None:
    """Called first thing in a helper process (a pool worker's initializer): on Linux it is
    killed (SIGKILL) when its parent process ends, however that ends (PR_SET_PDEATHSIG); and
    if formsmith (`main_pid`) ended already before this call — a kill -9 while the helper was
    still starting — it exits at once instead of waiting for work that will never come."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if main_pid is None:
        return
    try:
        os.kill(main_pid, 0)
    except ProcessLookupError:
        os._exit(1)
    except PermissionError:    # pragma: no cover - the pid was reused by another user's process
        os._exit(1)
    if os.getppid() == 1:      # re-parented to init: the parent is gone
        os._exit(1)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's live process
        return True
    return True


def remove_left_by_dead(*prefixes: str) -> None:
    """Remove the temporary folders named `<prefix><pid>-…` whose formsmith process no longer
    runs: a process killed together with its formsmith could not clean up after itself."""
    for prefix in prefixes:
        for old in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
            pid = old.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not _running(int(pid)):
                shutil.rmtree(old, ignore_errors=True)

"""Helper processes that do not outlive the formsmith that started them."""
from __future__ import annotations

import os
import signal


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

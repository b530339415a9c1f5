"""The `formsmith` command, killed by SIGKILL the instant a file is moved to a chosen place.

    python kill_after_place.py PATTERN formsmith-args...

PATTERN (fnmatch, on the absolute path) names the destination: right after an os.link,
os.replace or os.rename onto a matching path returns, the process kills itself with SIGKILL,
as a power cut at that moment would stop it. Only the timing is arranged; formsmith runs as is.
"""
import fnmatch
import os
import signal
import sys

PATTERN = sys.argv.pop(1)


def _wrap(name):
    orig = getattr(os, name)

    def wrapped(src, dst, *args, **kwargs):
        result = orig(src, dst, *args, **kwargs)
        if fnmatch.fnmatch(os.path.abspath(os.fsdecode(dst)), PATTERN):
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    setattr(os, name, wrapped)


for _name in ("link", "replace", "rename"):
    _wrap(_name)

from formsmith.cli import main  # noqa: E402

sys.argv[0] = "formsmith"
main()

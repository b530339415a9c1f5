"""LibreOffice headless as a converter object: one soffice process serves a whole batch."""
from __future__ import annotations

import atexit
import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path

from ..errors import RenderError
from ..lifeline import remove_left_by_dead

PACKAGE = "libreoffice-writer-nogui"
WORKER = Path(__file__).resolve().with_name("lo_worker.py")
FONTCONFIG_DIR = Path(__file__).resolve().parent.parent / "fontconfig"
SYSTEM_FONTCONFIG = "/etc/fonts/fonts.conf"
START_TIMEOUT = float(os.environ.get("FORMSMITH_LO_START_TIMEOUT", 120))
CONVERT_TIMEOUT = float(os.environ.get("FORMSMITH_LO_TIMEOUT", 180))


def missing_message() -> str:
    return ("LibreOffice is not installed (no `soffice` on PATH); Word (.docx) templates need it "
            f"to make the PDF: install the package {PACKAGE} "
            f"(`make setup`, or `sudo apt-get install {PACKAGE}`)")


def find_soffice() -> str:
    """The soffice command, or a RenderError naming the package to install."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise RenderError(missing_message())
    return found


@lru_cache(maxsize=None)
def _uno_python(soffice: str) -> str:
    """A Python interpreter that can `import uno` (LibreOffice's own, else the system one)."""
    real = Path(os.path.realpath(soffice)).parent
    candidates = [os.environ.get("FORMSMITH_UNO_PYTHON", ""), str(real / "python"),
                  "/usr/bin/python3", shutil.which("python3") or ""]
    for py in candidates:
        if py and os.access(py, os.X_OK):
            ok = subprocess.run([py, "-c", "import uno"], capture_output=True, timeout=30)
            if ok.returncode == 0:
                return py
    raise RenderError("LibreOffice's Python bridge is missing (no Python can `import uno`): "
                      f"install the package python3-uno (it comes with {PACKAGE})")


def fontconfig_file(folder: Path) -> Path:
    """A fontconfig file: the system configuration plus formsmith's CJK aliases (宋体 → Noto …)."""
    path = folder / "fonts.conf"
    includes = "".join(f'  <include ignore_missing="yes">{p}</include>\n'
                       for p in (SYSTEM_FONTCONFIG, FONTCONFIG_DIR / "formsmith-cjk.conf"))
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    f"<fontconfig>\n{includes}</fontconfig>\n", encoding="utf-8")
    return path


PROFILE_PREFIX = "formsmith-lo-"      # + pid of the formsmith process + "-" + random
SCRATCH_PREFIX = "formsmith-docx-"    # the Word engine's per-document folders (render/docx.py)


def scratch_prefix() -> str:
    """Prefix of this process's temporary folders of the Word engine: `mkdtemp(prefix=...)`."""
    return f"{SCRATCH_PREFIX}{os.getpid()}-"


def _wait_group(group: int | None, timeout: float = 10.0) -> None:
    """Wait until no process of `group` is left (soffice.bin outlives oosplash for a moment:
    its profile is removed only once it cannot write there any more)."""
    deadline = time.monotonic() + timeout
    while group and time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


class LibreOffice:
    """One headless LibreOffice with a private profile; `convert()` as often as needed, then `close()`.

    The first conversion starts soffice (a few seconds); every later one reuses it, so a batch
    of a thousand documents pays the start once. A conversion that hangs is killed after
    CONVERT_TIMEOUT seconds and reported; the next conversion starts a fresh soffice.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._soffice_pid: int | None = None
        self._profile: Path | None = None
        self._lock = threading.Lock()
        self.conversions = 0
        self.starts = 0

    def __enter__(self) -> "LibreOffice":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------- process

    def _start(self) -> None:
        soffice = find_soffice()
        python = _uno_python(soffice)
        remove_left_by_dead(PROFILE_PREFIX, SCRATCH_PREFIX)
        self._profile = Path(tempfile.mkdtemp(prefix=f"{PROFILE_PREFIX}{os.getpid()}-"))
        # LibreOffice's own temporary files go inside the private folder too, so removing that
        # folder after stopping soffice (even by SIGKILL) leaves nothing behind in /tmp.
        (self._profile / "tmp").mkdir()
        env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(self._profile)),
               "SAL_USE_VCLPLUGIN": "svp", "HOME": os.environ.get("HOME", str(self._profile)),
               "TMPDIR": str(self._profile / "tmp")}
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
        pipe = f"formsmith-{os.getpid()}-{id(self):x}"
        # The worker watches this process: if formsmith dies (kill -9, SIGTERM) it kills
        # soffice and removes the profile and this process's Word scratch folders.
        self._proc = subprocess.Popen(
            [python, str(WORKER), soffice, (self._profile / "profile").as_uri(), pipe,
             str(os.getpid()), str(self._profile), str(Path(tempfile.gettempdir()) / scratch_prefix())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True, text=True, encoding="utf-8")
        self.starts += 1
        ready = self._read(START_TIMEOUT, "starting LibreOffice")
        if not ready.get("ok"):
            self._kill()
            raise RenderError(f"LibreOffice did not start: {ready.get('error')}")
        self._soffice_pid = ready.get("soffice_pid")   # soffice runs in a process group of its own

    def _read(self, timeout: float, what: str) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self._proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(timeout):
                self._kill()
                raise RenderError(f"LibreOffice took longer than {timeout:.0f} s {what}; stopped it")
        finally:
            sel.close()
        line = self._proc.stdout.readline()
        if not line:
            self._kill()
            raise RenderError(f"LibreOffice stopped unexpectedly while {what}")
        return json.loads(line)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        soffice, self._soffice_pid = self._soffice_pid, None
        if proc is not None:
            for group in (proc.pid, soffice):
                if group:
                    try:
                        os.killpg(group, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            proc.wait()
            _wait_group(soffice)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
        self._drop_profile()

    def _drop_profile(self) -> None:
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def close(self) -> None:
        """Stop soffice and remove the private profile (also done at interpreter exit).

        Every conversion is complete on disk when `convert` returns and the profile is thrown
        away, so soffice is simply killed: a graceful shutdown would only cost ~0.7 s per command.
        """
        with self._lock:
            self._kill()

    # -------------------------------------------------------------- conversion

    def convert(self, src: Path, dst: Path, filter_options: dict) -> int:
        """Write `src` (.docx) as PDF to `dst` with the PDF export `filter_options`; the page count."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._kill()
                self._start()
            assert self._proc is not None and self._proc.stdin is not None
            request = {"src": str(Path(src).resolve()), "dst": str(Path(dst).resolve()),
                       "filter": filter_options}
            folders = {Path(src).resolve().parent, Path(dst).resolve().parent}
            before = {f: set(os.listdir(f)) for f in folders}
            try:
                try:
                    self._proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
                    self._proc.stdin.flush()
                except OSError:
                    self._kill()
                    raise RenderError("LibreOffice stopped unexpectedly") from None
                answer = self._read(CONVERT_TIMEOUT, f"converting {Path(src).name}")
            except BaseException:
                # a soffice killed mid-conversion leaves its lock files (.~lock.X#, which make
                # the next soffice refuse the document) and temp files (luXXXX.tmp) beside them
                for folder in folders:
                    for name in set(os.listdir(folder)) - before[folder]:
                        if name.startswith(".~lock.") or (name.startswith("lu") and name.endswith(".tmp")):
                            (folder / name).unlink(missing_ok=True)
                raise
            if not answer.get("ok"):
                raise RenderError(f"LibreOffice could not convert {Path(src).name}: {answer.get('error')}")
            self.conversions += 1
            return int(answer["pages"])


_shared: LibreOffice | None = None


def shared() -> LibreOffice:
    """The process-wide converter: every document issued by this process uses one soffice."""
    global _shared
    if _shared is None:
        _shared = LibreOffice()
        atexit.register(_shared.close)
    return _shared

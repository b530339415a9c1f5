"""Reading a file a clerk hands formsmith (a sheet, --data JSON): only a regular file, only up to
a size limit, checked with fstat before a byte is read, so a 3 GB file, a FIFO or a device ends
in one line (exit code 2) instead of a MemoryError or a hang."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InputError

MAX_SHEET_BYTES = 20 * 2**20        # a 5,000-unit owners sheet is about 1 MB
MAX_DATA_BYTES = 10 * 2**20         # template data (--data) is a few KB


def size_text(n: int) -> str:
    """1536 → "1.5 KB", 3 GiB → "3.0 GB" (binary units, as Windows Explorer shows them)."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} 字节"


def read_input(path: Path, limit: int) -> bytes:
    """The bytes of `path`, refused (InputError naming the file) when it does not exist, is not a
    regular file (a FIFO, a device, a folder) or is larger than `limit` bytes.

    Opened non-blocking (a FIFO with no writer does not block the open) and checked on the open
    descriptor (fstat), so what is read is what was checked.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: 文件不存在 (no such file)") from None
    except IsADirectoryError:
        raise InputError(f"{path}: 不是普通文件（是文件夹），未读取") from None
    except OSError as exc:
        raise InputError(f"{path}: 无法读取（{exc.strerror or exc}）") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "文件夹" if stat.S_ISDIR(st.st_mode) else "管道、设备或套接字"
            raise InputError(f"{path}: 不是普通文件（是{what}），未读取")
        if st.st_size > limit:
            raise InputError(f"{path}: 文件过大（{size_text(st.st_size)}，上限 {size_text(limit)}），未读取")
        os.set_blocking(fd, True)
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 2**20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise InputError(f"{path}: 无法读取（{exc.strerror or exc}）") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:                # it grew while being read
        raise InputError(f"{path}: 文件过大（超过上限 {size_text(limit)}），未读取")
    return data

"""Reading a file the configuration names, with a size bound: config files and secret files.

A path may name a device (``/dev/zero``), a FIFO or a file that never ends; only a regular file
is read, and no more than a bound, so a typo cannot hang or exhaust ``syncd validate``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class RefusedFile(Exception):
    """A file that exists but is not read: not a regular file, or larger than the bound."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`RefusedFile` for anything but a regular file or a file over ``limit``
    bytes, and ``OSError`` when it cannot be opened.
    """
    # O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise RefusedFile(f"is not a regular file ({_kind(mode)})")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise RefusedFile(f"is larger than {_size(limit)}")
    return data


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _size(limit: int) -> str:
    if limit >= 1 << 20:
        return f"{limit >> 20} MiB"
    if limit >= 1 << 10:
        return f"{limit >> 10} KiB"
    return f"{limit} bytes"

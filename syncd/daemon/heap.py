"""Handing freed heap back to the operating system once a pass is over.

A sync pass allocates a lot for a short while (responses, rows, reports); glibc keeps what it
freed in its arenas, so an idle daemon would go on holding the peak of its last pass.
``malloc_trim(0)`` returns those free pages. Elsewhere (musl, macOS) it is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None)
    except OSError:
        return None
    return trim


def release_free_memory() -> bool:
    """Return the heap's free pages to the OS; True when the C library could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True

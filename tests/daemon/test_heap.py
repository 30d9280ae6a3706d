"""Freed heap goes back to the OS after a pass (glibc's malloc_trim)."""

from __future__ import annotations

import platform

import pytest

from syncd.daemon.heap import release_free_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_trims_its_heap():
    assert release_free_memory() is True

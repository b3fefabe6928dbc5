"""The test helpers that keep parallel runs apart, and the bomb builder."""

from __future__ import annotations

import fcntl
import os
import zlib

import pytest

from wenyuan import testing


def test_a_port_handed_out_is_locked_against_other_processes():
    ports = {testing.free_port() for _ in range(5)}
    assert len(ports) == 5
    for port in ports:
        other = os.open(testing._PORT_LOCKS / f"{port}.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)


def test_redis_prefixes_are_names_of_their_own():
    prefixes = {testing.redis_prefix() for _ in range(3)}
    assert len(prefixes) == 3
    assert all(p.isalnum() and p.startswith("wenyuantest") for p in prefixes)


def test_deflate_repeated_is_a_valid_zlib_stream():
    data = testing.deflate_repeated(0xFF, 3000 * 40, chunk=3000)
    assert zlib.decompress(data) == b"\xff" * 120_000  # the Adler-32 trailer is checked
    big = testing.deflate_repeated(0, 1 << 30)
    assert len(big) < 2_000_000
    assert zlib.decompressobj().decompress(big, 1 << 20) == bytes(1 << 20)

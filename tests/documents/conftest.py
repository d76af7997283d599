"""Shared fakes for the documents tests: an in-memory file store and key-value store."""

from __future__ import annotations

import pytest


class MemoryFileStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    async def get(self, key: str) -> bytes:
        return self.blobs[key]

    async def exists(self, key: str) -> bool:
        return key in self.blobs

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)


class MemoryKV:
    """Key-value store with TTLs measured on a clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.data: dict[str, tuple[bytes, float | None]] = {}

    def clock(self) -> float:
        return self.now

    async def get(self, key: str) -> bytes | None:
        item = self.data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self.now:
            del self.data[key]
            return None
        return value

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        self.data[key] = (value, None if ttl is None else self.now + ttl)

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)


@pytest.fixture
def file_store() -> MemoryFileStore:
    return MemoryFileStore()


@pytest.fixture
def kv() -> MemoryKV:
    return MemoryKV()

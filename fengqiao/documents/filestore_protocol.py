"""The file-store interface the documents code needs; storage/ provides the implementations."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class FileStore(Protocol):
    """Blob storage addressed by generated keys such as ``evidence/<case_id>/<uuid>``.

    Keys are always produced by this package, never taken from user input, so an
    implementation may map them onto file paths or object-store keys directly.
    """

    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

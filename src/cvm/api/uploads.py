"""Uploaded files: who may send one, how many at once and how large, checked before the body
is read (401/403, 429, 413); then a check that the file is a kind cvm reads (400) before a run
is queued for it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fastapi import HTTPException, Request

from ..errors import CvmError
from ..ingest.readers import SourceError, check_workbook

__all__ = ["SUPPORTED_SUFFIXES", "UploadError", "UploadGate", "check_upload", "safe_name"]

#: File name endings the readers take: text tables, Excel, Parquet and JSON lines.
SUPPORTED_SUFFIXES = {
    ".csv": "text", ".tsv": "text", ".tab": "text", ".txt": "text", ".dat": "text",
    ".psv": "text", ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "json", ".ndjson": "json", ".json": "json",
}
_KINDS_TEXT = "CSV, TSV or other delimited text, Excel (.xlsx), Parquet or JSON lines"
#: The longest stored file name, in UTF-8 bytes (file systems allow 255).
_NAME_BYTES = 100
#: A refused request body up to this size is read and dropped so that the connection stays
#: usable and the client sees the answer; a larger one is cut off (the connection closes).
_DRAIN_BYTES = 1 << 20


class UploadError(CvmError, ValueError):
    """The uploaded file is not one cvm can read."""


def safe_name(name: str | None) -> str:
    """The file's own name without any folder part or control characters, never empty, and at
    most 100 bytes long (a longer name is shortened before its ending, which is kept)."""
    base = Path((name or "").replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable()).strip()
    if base in ("", ".", ".."):
        return "upload"
    if len(base.encode("utf-8")) <= _NAME_BYTES:
        return base
    suffix = Path(base).suffix if len(Path(base).suffix) <= 10 else ""
    stem = base[: len(base) - len(suffix)]
    while len((stem + suffix).encode("utf-8")) > _NAME_BYTES:
        stem = stem[:-1]
    return stem.rstrip() + suffix


def check_upload(path: Path, name: str) -> None:
    """Raise :class:`UploadError` with a clear reason when ``path`` is not a readable table."""
    suffix = Path(name).suffix.lower()
    kind = SUPPORTED_SUFFIXES.get(suffix)
    if kind is None:
        shown = suffix or "(no file name ending)"
        raise UploadError(f"{name}: files ending {shown} are not supported; upload {_KINDS_TEXT}")
    size = path.stat().st_size
    if size == 0:
        raise UploadError(f"{name} is empty")
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if kind == "excel" and not head.startswith(b"PK\x03\x04"):
        raise UploadError(f"{name} is not an Excel .xlsx workbook (older .xls files: save as .xlsx)")
    if kind == "excel":
        try:
            check_workbook(path, name=name)
        except SourceError as exc:
            raise UploadError(str(exc)) from None
    if kind == "parquet" and not head.startswith(b"PAR1"):
        raise UploadError(f"{name} is not a Parquet file")
    if kind in ("text", "json"):
        controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
        if controls > max(8, 0.01 * len(head)):
            raise UploadError(f"{name} looks like a binary file, not {_KINDS_TEXT}")
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                head.decode(encoding)
                break
            except UnicodeDecodeError as exc:
                if exc.start >= len(head) - 4:
                    break
        else:
            raise UploadError(f"{name} is not UTF-8 or GB18030 text")


class UploadGate:
    """ASGI middleware for the upload path, before any of the body is read: the caller must be
    signed in with ``role`` (401/403, see :meth:`cvm.api.access.Access.require`); at most
    ``max_concurrent`` uploads are under way at once (429 with ``Retry-After``); and bodies above
    ``max_bytes`` are refused with 413, from the ``Content-Length`` header when there is one,
    else while the body streams in."""

    def __init__(self, app, *, max_bytes: int, max_concurrent: int, prefix: str,
                 role: str = "admin", retry_after: int = 10):
        self.app = app
        self.max_bytes = max_bytes
        self.max_concurrent = max_concurrent
        self.prefix = prefix
        self.role = role
        self.retry_after = retry_after
        self.active = 0  # changed only on the event loop: no lock needed

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        try:
            scope["app"].state.cvm.access.require(Request(scope), self.role)
        except HTTPException as exc:
            await self._refuse(receive, send, declared, exc.status_code, exc.detail,
                               exc.headers or {})
            return
        if declared is not None and declared > self.max_bytes:
            await self._refuse(receive, send, declared, 413, self._too_large())
            return
        if self.active >= self.max_concurrent:
            await self._refuse(receive, send, declared, 429,
                               f"{self.active} uploads are under way (at most "
                               f"{self.max_concurrent} at once, cvm serve --max-uploads): "
                               f"try again in {self.retry_after} s",
                               {"Retry-After": str(self.retry_after)})
            return
        self.active += 1
        try:
            await self._limited(scope, receive, send)
        finally:
            self.active -= 1

    async def _limited(self, scope, receive, send) -> None:
        seen = 0
        started = refused = False

        async def counting_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not started:
                    # answer now; the app sees the client gone and whatever it sends is dropped
                    refused = True
                    await _answer(send, 413, self._too_large(), close=True)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    def _too_large(self) -> str:
        return (f"the upload is larger than the limit of {self.max_bytes / (1 << 20):g} MB "
                "(cvm serve --max-upload-mb)")

    async def _refuse(self, receive, send, declared: int | None, status: int, detail: str,
                      headers: dict | None = None) -> None:
        """Answer without reading the body; a small declared body is then read and dropped
        (so the client gets the answer on an orderly connection), anything else is cut off."""
        small = declared is not None and declared <= _DRAIN_BYTES
        await _answer(send, status, detail, headers, close=not small)
        if small:
            await _drain(receive)


async def _answer(send, status: int, detail: str, headers: dict | None = None, *,
                  close: bool = False) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    sent = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    sent += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if close:
        sent.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": sent})
    await send({"type": "http.response.body", "body": body})


async def _drain(receive, timeout: float = 5.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body"):
                    return
    except TimeoutError:
        return

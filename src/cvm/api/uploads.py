"""Uploaded files: a size limit enforced while the body arrives (413), and a check that the file
is a kind cvm reads (400) before a run is queued for it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SUPPORTED_SUFFIXES", "UploadError", "UploadLimit", "check_upload",
           "safe_name"]

#: File name endings the readers take: text tables, Excel, Parquet and JSON lines.
SUPPORTED_SUFFIXES = {
    ".csv": "text", ".tsv": "text", ".tab": "text", ".txt": "text", ".dat": "text",
    ".psv": "text", ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "json", ".ndjson": "json", ".json": "json",
}
_KINDS_TEXT = "CSV, TSV or other delimited text, Excel (.xlsx), Parquet or JSON lines"


class UploadError(ValueError):
    """The uploaded file is not one cvm can read."""


def safe_name(name: str | None) -> str:
    """The file's own name without any folder part, never empty."""
    base = Path((name or "").replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "upload"


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


class UploadLimit:
    """ASGI middleware: refuse request bodies above ``max_bytes`` on upload paths with 413,
    from the Content-Length header when there is one, else while the body streams in."""

    def __init__(self, app, *, max_bytes: int, prefix: str):
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(send)
            return
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
                    await self._refuse(send)
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

    async def _refuse(self, send) -> None:
        limit_mb = self.max_bytes / (1 << 20)
        body = (f'{{"detail": "the upload is larger than the limit of {limit_mb:g} MB '
                f'(cvm serve --max-upload-mb)"}}').encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

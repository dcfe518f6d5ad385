"""Files the demo attaches: built by hand (no image or PDF library needed) and
stored once through the storage API; the bulk attachments share them."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def png_bytes() -> bytes:
    """A 2x2 PNG, built by hand so the demo needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x2a\x7a\xc8" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pdf_bytes(title: str) -> bytes:
    text = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


@dataclass(frozen=True)
class DemoFile:
    name: str
    filename: str
    content_type: str
    size: int


def demo_files() -> list[DemoFile]:
    """A few files stored once through the storage API; bulk attachments share them."""
    contents = [
        ("receipt.pdf", "application/pdf", pdf_bytes("Receipt A10423 - 1,290.00 THB")),
        ("screenshot.png", "image/png", png_bytes()),
        ("slip-transfer.png", "image/png", png_bytes()),
        ("invoice.pdf", "application/pdf", pdf_bytes("Tax invoice INV-2026-0042")),
    ]
    files = []
    for filename, content_type, data in contents:
        name = f"attachments/demo/{filename}"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(data))
        files.append(DemoFile(name, filename, content_type, len(data)))
    return files

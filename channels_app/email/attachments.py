"""The content type an inbound file is stored under, and whether it may show inline.

The declared type is what the sender's mail client says; the first bytes say what
the file is. A file whose bytes are an executable is stored as a plain download
whatever it claims, and only images whose bytes agree show inline."""

from __future__ import annotations

import mimetypes

from tickets.inbound import InboundAttachment

# Magic numbers of the formats worth telling apart.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (b"#!", "application/x-sh"),
]
EXECUTABLE_TYPES = {
    "application/x-msdownload", "application/x-executable", "application/x-mach-binary", "application/x-sh",
    "application/x-dosexec", "application/x-msdos-program", "application/x-bat", "application/hta",
    "application/java-archive", "application/x-ms-installer", "application/x-msi",
}  # fmt: skip
EXECUTABLE_EXTENSIONS = {
    ".exe", ".com", ".scr", ".bat", ".cmd", ".pif", ".msi", ".dll", ".vbs", ".js", ".jse", ".wsf", ".hta",
    ".ps1", ".sh", ".jar", ".lnk", ".reg", ".cpl", ".app",
}  # fmt: skip
# Only raster images show inline; SVG and HTML can carry script.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
GENERIC_TYPES = {"", "application/octet-stream", "application/unknown", "binary/octet-stream"}


def sniff(data: bytes) -> str:
    head = data[:16]
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def content_type_for(*, filename: str, declared: str, data: bytes) -> str:
    declared = (declared or "").lower().strip()
    sniffed = sniff(data)
    if sniffed in EXECUTABLE_TYPES or declared in EXECUTABLE_TYPES or _extension(filename) in EXECUTABLE_EXTENSIONS:
        return "application/octet-stream"
    if declared in GENERIC_TYPES:
        guessed = mimetypes.guess_type(filename)[0] if filename else None
        return sniffed or (guessed or "application/octet-stream").lower()
    if declared.startswith("image/") and sniffed:
        # "image/jpg", or "image/png" that is really a PDF: the bytes know better.
        return sniffed
    return declared


def default_filename(content_type: str, content_id: str) -> str:
    extension = mimetypes.guess_extension(content_type) or ".bin"
    stem = content_id.split("@", 1)[0] if content_id else "attachment"
    return f"{stem or 'attachment'}{extension}"


def inbound_attachment(
    *, filename: str, declared_type: str, data: bytes, content_id: str = "", wants_inline: bool = False
) -> InboundAttachment:
    content_type = content_type_for(filename=filename, declared=declared_type, data=data)
    inline = wants_inline and content_type in INLINE_TYPES and sniff(data) == content_type
    return InboundAttachment(
        filename=filename or default_filename(content_type, content_id),
        content_type=content_type,
        content=data,
        content_id=content_id,
        inline=inline,
    )

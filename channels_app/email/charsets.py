"""Decoding the bytes and headers that real mail sends, whatever charset it claims.

Mail clients declare charsets Python does not know (windows-874, ks_c_5601-1987,
X-UNKNOWN), declare one and send another, or send raw 8-bit headers. Nothing here
raises: the worst case is a replacement character."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Declared names -> the codec that decodes what clients really send under them:
# usually the vendor superset of the standard charset.
_ALIASES = {
    # Thai: TIS-620 and ISO-8859-11 are subsets of Windows-874 (which Python calls cp874).
    "tis-620": "cp874",
    "tis620": "cp874",
    "iso-8859-11": "cp874",
    "iso8859-11": "cp874",
    "windows-874": "cp874",
    "x-windows-874": "cp874",
    "ms874": "cp874",
    # Korean: Outlook's name for CP949 (Unified Hangul Code), a superset of EUC-KR.
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "euc-kr": "cp949",
    # Japanese: Windows clients send CP932 characters (circled digits, IBM kanji) as Shift_JIS.
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    # Chinese.
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    # Latin-1 is declared for Windows-1252 text all the time (curly quotes, euro sign).
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
}
_ASCII_NAMES = {"us-ascii", "ascii", "ansi_x3.4-1968", "us", "646"}
_THAI_BYTE = re.compile(rb"[\xa1-\xfb]{3,}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None when it is unknown."""
    name = (charset or "").strip().strip("\"'").lower()
    if not name or name in _ASCII_NAMES:
        return None
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _guess(data: bytes) -> str:
    """Bytes whose charset is unknown or wrong: UTF-8 when it decodes, else Thai
    Windows-874 when the 8-bit bytes come in runs the way Thai words do (Thai has
    no ASCII between its letters), else Windows-1252, where 8-bit bytes are
    accented letters between ASCII ones."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    high = len(_HIGH_BYTE.findall(data))
    in_thai_runs = sum(len(run) for run in _THAI_BYTE.findall(data))
    if high and in_thai_runs / high > 0.6:
        return data.decode("cp874", "replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def decode_bytes(data: bytes, charset: str | None) -> str:
    if not data:
        return ""
    codec = codec_for(charset)
    if codec is None:
        try:
            return data.decode("ascii")
        except UnicodeDecodeError:
            return _guess(data)
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(codec, "replace")


# RFC 2047 encoded words, with an optional RFC 2231 language suffix (=?utf-8*th?B?...?=).
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding.upper() == "B":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    raw = text.replace("_", " ").encode("latin-1", "replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _unencoded(data: bytes, fallback_charset: str | None) -> str:
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")  # RFC 6532
    except UnicodeDecodeError:
        pass
    codec = codec_for(fallback_charset)
    if codec is not None:
        return data.decode(codec, "replace")
    return _guess(data)


def decode_header_bytes(value: bytes, *, fallback_charset: str | None = None) -> str:
    """A raw header value (unfolded bytes) as text: RFC 2047 encoded words decoded
    with their charsets, raw 8-bit text (RFC 6532 UTF-8, or the legacy charset the
    message declares) guessed."""
    text = value.decode("latin-1")
    # RFC 2047 §6.2: whitespace between adjacent encoded words is not displayed.
    text = _BETWEEN_WORDS.sub(r"\1\2", text)
    out: list[str] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        out.append(_unencoded(text[position : match.start()].encode("latin-1"), fallback_charset))
        charset, encoding, payload = match.groups()
        out.append(decode_bytes(_word_bytes(encoding, payload), charset))
        position = match.end()
    out.append(_unencoded(text[position:].encode("latin-1"), fallback_charset))
    return "".join(out).strip()


def decode_header_text(value: str) -> str:
    """A header value the email package already turned into str: its undecoded
    8-bit bytes come back as surrogate escapes."""
    return decode_header_bytes(value.encode("utf-8", "surrogateescape"))

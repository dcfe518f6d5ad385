"""Removing the quoted history from replies, so the timeline shows what is new.

Plain text goes through mail-parser-reply (a maintained port of GitHub's
email_reply_parser, with Outlook and many languages); HTML is cut at the quote
containers the common mail clients write. The full text stays in the message's
metadata, and the raw message keeps everything."""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "ja", "zh", "ko"]
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|wg|tr|rv|ส่งต่อ)\s*:", re.IGNORECASE)
# Quote headers mail-parser-reply has no Thai for: "On <date> <name> wrote:" as Thai
# Gmail and Outlook write it.
_THAI_WROTE = re.compile(r"^[ \t]*เมื่อ.{0,200}เขียน(ว่า)?[ \t]*:?[ \t]*$", re.MULTILINE)

# Where clients start the quoted message in HTML: attributes of the opening tag.
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted")
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "stopspelling")
# Outlook desktop and Windows Mail draw a rule above the quoted header block.
_QUOTE_STYLES = ("border-top:solid#b5c4df", "border-top:solid#e1e1e1", "border-top-style:solid")
# Outlook's bold "From:" that starts the quoted header block.
_HEADER_LABELS = {"from:", "von:", "de:", "จาก:"}
_ORIGINAL_MESSAGE = re.compile(r"-----\s?Original Message\s?-----", re.IGNORECASE)
_HTML_WROTE = re.compile(
    r"(<(p|div)[^>]*>)?[^<>]{0,300}(wrote|schrieb|a écrit|escribió|เขียน)[^<>]{0,20}:\s*(<br\s*/?>)?\s*$", re.IGNORECASE
)


def is_forward(subject: str) -> bool:
    return bool(_FORWARD_SUBJECT.match(subject or ""))


def strip_quoted_text(text: str) -> str:
    """The new part of a reply. When nothing new can be told apart (all quoted, or
    the parser finds nothing), the text as it came."""
    if not text or not text.strip():
        return text
    try:
        reply = EmailReplyParser(languages=_LANGUAGES).parse_reply(text) or ""
    except Exception:  # the library's regexes on hostile input; never lose the message
        reply = text
    thai = _THAI_WROTE.search(reply)
    if thai:
        reply = reply[: thai.start()]
    return _without_trailing_quote(reply).strip() or text


def _without_trailing_quote(text: str) -> str:
    """Drops "> " lines left at the end, which the parser keeps when the quote has no header."""
    lines = text.rstrip().split("\n")
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)


def has_less(reply: str, *, than: str) -> bool:
    """Whether stripping removed words, not just the spacing the parser evens out."""
    return "".join(reply.split()) != "".join(than.split())


def _is_quote_tag(tag: str) -> bool:
    name = tag[1:].split(None, 1)[0].rstrip("/>") if len(tag) > 2 else ""
    if name == "blockquote":
        return True
    if name not in ("div", "hr"):
        return False
    squeezed = "".join(tag.split())
    return (
        any(marker in tag for marker in _QUOTE_CLASSES + _QUOTE_IDS)
        or any(style in squeezed for style in _QUOTE_STYLES)
        or (name == "hr" and ('tabindex="-1"' in squeezed or "tabindex=-1" in squeezed))
    )


def _quote_start(html: str) -> int | None:
    """Where the quoted message starts: one pass over the tags with str.find, so a
    hostile body (a million unclosed "<div") costs linear time, never quadratic."""
    lowered = html.lower()
    position = 0
    open_bold: int | None = None
    while True:
        start = lowered.find("<", position)
        if start < 0:
            return None
        end = lowered.find(">", start)
        if end < 0:
            return None
        tag = lowered[start : end + 1]
        if _is_quote_tag(tag):
            return start
        if tag.startswith(("<b>", "<b ")):
            open_bold = start
        elif tag.startswith(("</b>", "</b ")):
            open_bold = None
        following = lowered.find("<", end)
        text = lowered[end + 1 : following if following >= 0 else len(lowered)].strip()
        if open_bold is not None and text.replace("&nbsp;", "").strip() in _HEADER_LABELS:
            return open_bold
        position = end + 1


def strip_quoted_html(html: str) -> str:
    """The HTML up to the quoted history; "" when no client's marker is found, so the
    console shows the stripped text instead of the whole thread."""
    positions = [p for p in (_quote_start(html),) if p is not None]
    original = _ORIGINAL_MESSAGE.search(html)
    if original:
        positions.append(original.start())
    if not positions:
        return ""
    head = html[: min(positions)]
    # The "On <date>, <name> wrote:" line just above the quote belongs to it.
    tail = head[-600:]
    wrote = _HTML_WROTE.search(tail)
    if wrote:
        head = head[: len(head) - len(tail) + wrote.start()]
    # The sanitizer closes what the cut left open.
    return head

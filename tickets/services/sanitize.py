"""Sanitizing what customers send before anyone renders it."""

from __future__ import annotations

import html as html_lib
import re

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "*": {"dir", "lang"},
}
# cid: for inline images of an email, which the console rewrites to attachment URLs.
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}

# Lone surrogates (from JSON "\ud800" escapes) cannot be encoded as UTF-8 for the database.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BLOCK_END = re.compile(r"(?i)</(p|div|tr|li|h[1-6]|blockquote|table)>|<br\s*/?>")
_TAGS = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n{3,}")
# The tags whose ends break a line; everything else is reduced to its text.
_TEXT_TAGS = {"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "br"}


def strip_control_chars(text: str) -> str:
    """NUL and other control characters, and lone surrogates: PostgreSQL refuses NUL
    in text, UTF-8 has no lone surrogate, and none of them mean anything to a reader."""
    return _CONTROL_CHARS.sub("", text or "")


def sanitize_html(raw_html: str) -> str:
    if not raw_html or not raw_html.strip():
        return ""
    return nh3.clean(
        strip_control_chars(raw_html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_to_text(raw_html: str) -> str:
    """Readable plain text of an HTML body, for mails that came without a text part.
    nh3 parses first (linear time, script and style dropped with their content), so
    the regular expressions below only ever see well-formed tags."""
    if not raw_html or not raw_html.strip():
        return ""
    markup = nh3.clean(
        strip_control_chars(raw_html),
        tags=_TEXT_TAGS,
        clean_content_tags={"script", "style", "title"},
        attributes={},
        strip_comments=True,
    )
    text = _BLOCK_END.sub("\n", markup)
    text = html_lib.unescape(_TAGS.sub("", text))
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()

"""Article slugs that keep Thai whole. Django's slugify keeps only what \\w matches,
and Thai vowel and tone marks (Unicode category Mn, such as the ิ of สินค้า) are not
\\w in Python: "คืนสินค้า" became "คนสนคา". Here letters, marks and digits of any
script stay; spaces become hyphens; nothing that would need escaping in a URL path."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# For the OpenAPI schema (ECMAScript regex, no \p classes): ASCII letters, digits, "-", "_"
# and any character beyond Latin-1's controls and punctuation.
SLUG_PATTERN = r"^[-_0-9A-Za-z\u00C0-\uFFFF]+$"


def _kept(char: str) -> bool:
    return char in "-_" or unicodedata.category(char)[0] in "LMN"


def slug_from_text(text: str, *, max_length: int = 200) -> str:
    text = unicodedata.normalize("NFC", text or "").lower()
    words = ["".join(char for char in word if _kept(char)) for word in re.split(r"[\s/]+", text)]
    slug = re.sub(r"-{2,}", "-", "-".join(word for word in words if word))
    return slug[:max_length].strip("-_")


def validate_slug_text(value: str) -> None:
    """The rule of slug_from_text's output: no spaces, slashes or URL punctuation."""
    if not value or not all(_kept(char) for char in value):
        raise ValidationError(
            _("Use letters, numbers, hyphens or underscores (Thai with its vowel and tone marks is fine)."),
            code="invalid",
        )

"""Keyset pages: the rows after a cursor in a fixed order, read with LIMIT n+1 and
never counted, so page 1,000 costs what page 1 does.

The order is a list of keys, the last of them unique (the id). A cursor holds the
last row's key values, in URL-safe base64 JSON; a cursor that does not decode, or
does not fit the order, raises InvalidCursor (the view answers 400)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool = False
    # Only ascending keys may hold NULLs, which come after every value.
    nullable: bool = False
    is_time: bool = False

    def order(self):
        expression = F(self.field)
        if self.descending:
            return expression.desc()
        return expression.asc(nulls_last=True) if self.nullable else expression.asc()


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str


def _encode(values: list) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, keys: list[Key]) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor(cursor) from None
    if not isinstance(values, list) or len(values) != len(keys):
        raise InvalidCursor(cursor)
    decoded = []
    for key, value in zip(keys, values, strict=True):
        if value is None and key.nullable:
            decoded.append(None)
        elif key.is_time and isinstance(value, str):
            try:
                decoded.append(datetime.fromisoformat(value))
            except ValueError:
                raise InvalidCursor(cursor) from None
        elif not key.is_time and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
            decoded.append(value)
        else:
            raise InvalidCursor(cursor)
    return decoded


def _after(keys: list[Key], values: list) -> Q:
    """Rows strictly after `values` in the order of `keys`, as an OR of prefixes, with
    the first key's bound stated alone as well so that an index range scan starts at
    the cursor instead of filtering from the top."""
    names = [f"keyset_{i}" for i in range(len(keys))]
    condition = Q(pk__in=[])
    equal = Q()
    for name, key, value in zip(names, keys, values, strict=True):
        if value is None:
            later = Q(pk__in=[])
        elif key.descending:
            later = Q(**{f"{name}__lt": value})
        else:
            later = Q(**{f"{name}__gt": value})
            if key.nullable:
                later |= Q(**{f"{name}__isnull": True})
        condition |= equal & later
        equal &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    first, value = keys[0], values[0]
    if value is None:
        bound = Q(**{f"{names[0]}__isnull": True})
    elif first.descending:
        bound = Q(**{f"{names[0]}__lte": value})
    else:
        bound = Q(**{f"{names[0]}__gte": value}) | (
            Q(**{f"{names[0]}__isnull": True}) if first.nullable else Q(pk__in=[])
        )
    return bound & condition


def keyset_query(rows: QuerySet, *, keys: list[Key], cursor: str = "", size: int) -> QuerySet:
    """The statement of keyset_page: the `size` + 1 rows after `cursor`, with the keys
    annotated as keyset_0, keyset_1, ..."""
    rows = rows.annotate(**{f"keyset_{i}": F(key.field) for i, key in enumerate(keys)})
    if cursor:
        rows = rows.filter(_after(keys, _decode(cursor, keys)))
    return rows.order_by(*(key.order() for key in keys))[: size + 1]


def keyset_result(page: list, *, keys: list[Key], size: int) -> KeysetPage:
    """The rows that keyset_query read, as a page and the cursor of the next one."""
    if len(page) <= size:
        return KeysetPage(rows=page, next_cursor="")
    page = page[:size]
    last = page[-1]
    # Model instances carry the keys as attributes, .values() rows as items.
    key_of = last.__getitem__ if isinstance(last, dict) else lambda name: getattr(last, name)
    return KeysetPage(rows=page, next_cursor=_encode([key_of(f"keyset_{i}") for i in range(len(keys))]))


def keyset_page(rows: QuerySet, *, keys: list[Key], cursor: str = "", size: int) -> KeysetPage:
    """The `size` rows after `cursor` (from the start without one), in the order of
    `keys`, and the cursor of the next page ("" on the last)."""
    page = list(keyset_query(rows, keys=keys, cursor=cursor, size=size))
    return keyset_result(page, keys=keys, size=size)

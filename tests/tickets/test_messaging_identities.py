"""LINE, Messenger and Instagram user ids as addresses: `line:<userId>`,
`messenger:<PSID>`, `instagram:<IGSID>`, kept exactly (they are case-sensitive ids)."""

from __future__ import annotations

import pytest

from tickets.services.identities import InvalidAddress, normalize_address


@pytest.mark.parametrize(
    ("raw", "kind", "address"),
    [
        ("line:U4af4980629c2f45f3f4e3b7e4b9c2c1f", "line", "U4af4980629c2f45f3f4e3b7e4b9c2c1f"),
        ("LINE: U4af4980629c2f45f3f4e3b7e4b9c2c1f ", "line", "U4af4980629c2f45f3f4e3b7e4b9c2c1f"),
        ("messenger:6500000000000001", "messenger", "6500000000000001"),
        ("instagram:17841400000000001", "instagram", "17841400000000001"),
    ],
)
def test_messaging_ids_are_their_own_kinds(raw, kind, address):
    normalized = normalize_address(raw)
    assert (normalized.kind, normalized.address) == (kind, address)


@pytest.mark.parametrize("raw", ["line:", "messenger:  ", "instagram:12 34"])
def test_empty_or_spaced_ids_are_refused(raw):
    with pytest.raises(InvalidAddress):
        normalize_address(raw)

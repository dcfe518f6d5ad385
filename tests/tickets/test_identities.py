import pytest

from tickets.services.identities import InvalidAddress, normalize_address


@pytest.mark.parametrize(
    "raw",
    ["+66 81 234 5678", "0812345678", "081-234-5678", "whatsapp:+66812345678", "WhatsApp:+66 81 234 5678", "tel:+66812345678"],
)
def test_thai_phone_spellings_share_one_phone_identity(raw):
    normalized = normalize_address(raw)
    assert (normalized.kind, normalized.address) == ("phone", "+66812345678")


def test_email_is_case_folded_and_plus_address_kept_distinct():
    plain = normalize_address("Mixed.Case@Example.com")
    plus = normalize_address('"Somchai" <Mixed.Case+orders@Example.COM>')
    assert plain.address == "mixed.case@example.com"
    assert plus.address == "mixed.case+orders@example.com"
    assert plus.lookup_key == plain.address


def test_whatsapp_user_without_number_keeps_its_own_identity():
    normalized = normalize_address("whatsapp:BR.1a2b3c4d5e")
    assert (normalized.kind, normalized.address) == ("whatsapp", "BR.1a2b3c4d5e")


def test_short_code_that_is_no_real_number_is_kept_not_dropped():
    assert normalize_address("+12345").address == "+12345"


@pytest.mark.parametrize("raw", ["", "   ", "whatsapp:", "chat:", "not an address @", "-- --"])
def test_garbage_is_refused(raw):
    with pytest.raises(InvalidAddress):
        normalize_address(raw)

"""Phone numbers become stable pseudonymous ids through a keyed hash; the number is not in them."""

from __future__ import annotations

import pytest

from data.records import is_valid_user_id
from skinlab.errors import InvalidInput
from skinlab.phone_ids import normalise_phone, phone_user_id


@pytest.mark.parametrize(
    "phone",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "008613812345678"],
)
def test_every_way_of_writing_a_mainland_mobile_gives_one_id(phone: str) -> None:
    assert normalise_phone(phone) == "+8613812345678"
    assert phone_user_id(phone, "s") == phone_user_id("13812345678", "s")


def test_the_id_is_a_valid_pseudonym_that_does_not_contain_the_number() -> None:
    user_id = phone_user_id("13812345678", "secret")
    assert user_id.startswith("ph:") and len(user_id) == 27
    assert is_valid_user_id(user_id)
    assert "13812345678" not in user_id and "12345678" not in user_id


def test_the_id_depends_on_the_secret() -> None:
    assert phone_user_id("13812345678", "a") != phone_user_id("13812345678", "b")


def test_international_numbers_keep_their_country_code() -> None:
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert phone_user_id("+442079460958", "s") != phone_user_id("+852 2079 4609", "s")


@pytest.mark.parametrize("phone", ["", "12345", "2381234567", "abc", "1381234567x", "+0123456789"])
def test_not_a_phone_number_is_refused_in_both_languages(phone: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_phone(phone)
    assert caught.value.code == "INVALID_PHONE"
    assert "手机号" in caught.value.message_zh

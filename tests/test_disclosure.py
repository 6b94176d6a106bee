"""One rule decides which finding details a report or an export may show: safe key, safe shape."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auditpack.render.disclosure import shareable_details
from auditpack.render.report import safe_details
from auditpack.resources.secret_source import ACCESS_KEY_ID, MASKED_SHAPE, mask

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY"
PRINT = "hmac-sha256:" + "0f" * 16


def test_only_masked_values_fingerprints_and_numbers_are_shown():
    shown = shareable_details({
        "key_masked": "AKIA…MPLE", "short_masked": "********", "value_masked": SECRET,  # not a mask's shape
        "key_fingerprint": PRINT, "fingerprint": "sha256:" + "0f" * 32,  # unkeyed: not shown
        "age_days": 91, "open_count": 3, "enabled_days": True, "secret_value": SECRET, "token": "abc",
        "keys_masked": ["AKIA…MPLE", "ASIA…WXYZ"],
    })
    assert shown == {"age_days": "91", "key_fingerprint": PRINT, "key_masked": "AKIA…MPLE",
                     "keys_masked": "AKIA…MPLE, ASIA…WXYZ", "open_count": "3", "short_masked": "********"}


def test_nested_masked_forms_and_fingerprints_are_lifted_and_shape_checked():
    other = "hmac-sha256:" + "ab" * 16
    details = {
        "secrets": [
            {"field": "environment variable K", "masked": "q8Vd…e4Ri", "fingerprint": PRINT, "raw": SECRET},
            {"field": "environment variable L", "masked": SECRET, "fingerprint": "hmac-sha256:abc"},  # bad shapes
            {"field": "environment variable M", "masked": "q8Vd…e4Ri", "fingerprint": PRINT},  # same secret again
        ],
        "key_owners": [{"key_masked": "AKIA…MPLE", "key_fingerprint": other, "user": "deploy-bot"}],
    }
    assert shareable_details(details) == {"masked_values": "AKIA…MPLE, q8Vd…e4Ri", "fingerprints": f"{other}, {PRINT}"}


def test_the_report_labels_what_the_exports_key():
    assert safe_details({"age_days": 3, "secrets": [{"masked": "q8Vd…e4Ri"}]}) == [
        ("age days", "3"), ("masked values", "q8Vd…e4Ri")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=64))
def test_a_mask_reveals_at_most_four_characters_of_a_secret_shorter_than_32(value):
    assume(not ACCESS_KEY_ID.fullmatch(value))  # the one exception, below
    masked = mask(value)
    assert MASKED_SHAPE.match(masked)
    shown = masked.replace("…", "").replace("*", "")
    if len(value) < 32:
        assert len(shown) <= 4
    else:
        assert shown == value[:4] + value[-4:]


@given(st.sampled_from(["AKIA", "ASIA"]), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16,
                                                  max_size=16))
def test_an_access_key_id_keeps_its_public_prefix_and_its_last_four(prefix, rest):
    key_id = prefix + rest
    assert mask(key_id) == f"{prefix}…{rest[-4:]}"

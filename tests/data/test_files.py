"""The lenient reader's invalid-UTF-8 check against Python's own strict decoder."""
from __future__ import annotations

from hypothesis import given, strategies as st

from benchgate.data.files import bad_utf8


@given(st.binary(max_size=64) | st.text(max_size=32).map(lambda t: t.encode("utf-8")))
def test_bad_utf8_is_exactly_what_strict_decoding_refuses(raw: bytes) -> None:
    try:
        raw.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert bad_utf8(raw.decode("utf-8", "surrogateescape")) is (not valid)


def test_bad_utf8_cases() -> None:
    assert not bad_utf8("plain ascii")
    assert not bad_utf8("中文 é 😀")
    assert bad_utf8(b"caf\xe9".decode("utf-8", "surrogateescape"))
    assert bad_utf8(b"ok \xed\xa0\x80 surrogate encoded".decode("utf-8", "surrogateescape"))

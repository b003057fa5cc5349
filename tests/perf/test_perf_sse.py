"""SSE parser: split-invariance (hypothesis), line endings, comments, malformed lines."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchgate.perf.sse import SSEError, SSEParser, parse_all

# data values: any text without line breaks (CR/LF end a line in SSE)
_value = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30)
_event = st.lists(_value, min_size=1, max_size=3)  # one event = one or more data lines
_eol = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def _stream(draw):
    events = draw(st.lists(_event, max_size=8))
    eol = draw(_eol)  # one line ending per stream (a CR followed by another LF ending would merge)
    out = []
    for ev in events:
        if draw(st.booleans()):
            out.append(":" + draw(_value) + eol)  # comment
        if draw(st.booleans()):
            out.append("event: message" + eol)
        for line in ev:
            sep = draw(st.sampled_from(["data: ", "data:"]))
            if sep == "data:" and line.startswith(" "):
                sep = "data: "  # "data: <space>x" keeps one space; keep the expectation simple
            out.append(sep + line + eol)
        out.append(eol)
    data = "".join(out).encode("utf-8")
    expected = ["\n".join(ev) for ev in events]
    return data, expected


@settings(max_examples=300, deadline=None)
@given(_stream(), st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_any_split_gives_same_events(stream, cuts):
    data, expected = stream
    points = sorted({c % (len(data) + 1) for c in cuts})
    p = SSEParser()
    got = []
    prev = 0
    for c in points + [len(data)]:
        got += p.feed(data[prev:c])
        prev = c
    got += p.close()
    assert got == expected
    assert parse_all(data) == expected


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash_other_than_sse_error(blob):
    p = SSEParser()
    try:
        p.feed(blob)
        p.close()
    except SSEError:
        pass


def test_openai_stream_and_done():
    raw = b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n'
    assert parse_all(raw) == ['{"a":1}', '{"b":2}', "[DONE]"]


def test_crlf_split_between_reads():
    p = SSEParser()
    assert p.feed(b"data: x\r") == []
    assert p.feed(b"\n\r\n") == ["x"]


def test_malformed_line_raises():
    with pytest.raises(SSEError, match="malformed SSE line"):
        parse_all(b"data: ok\n\nthis is not sse\n\n")


def test_unterminated_last_event_is_kept():
    assert parse_all(b"data: [DONE]") == ["[DONE]"]


def test_long_line():
    payload = "x" * 3_000_000
    assert parse_all(b"data: " + payload.encode() + b"\n\n") == [payload]

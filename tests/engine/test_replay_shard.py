import json
from collections import Counter

import pytest
from hypothesis import given, strategies as st

from benchgate.engine.options import OptionError, parse_shard, shard_of
from benchgate.models.base import GenerateRequest, LoglikelihoodRequest
from benchgate.models.replay import ReplayError, ReplaySource


def test_parse_shard():
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(OptionError, match="--shard"):
            parse_shard(bad)


@given(st.lists(st.text(min_size=1), min_size=1, max_size=50), st.integers(1, 8))
def test_every_sample_in_exactly_one_shard(ids, total):
    for sample_id in ids:
        assert 1 <= shard_of(sample_id, total) <= total
        assert shard_of(sample_id, total) == shard_of(sample_id, total)


def test_shards_are_balanced():
    counts = Counter(shard_of(f"mmlu/x/{i}", 4) for i in range(4000))
    assert all(900 < c < 1100 for c in counts.values())


def test_replay_file_errors_name_file_and_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a/b/0", "response": "x"}\n{oops\n')
    with pytest.raises(ReplayError, match=f"{path}:2: invalid JSON"):
        ReplaySource(path)
    path.write_text('{"id": "a/b/0"}\n')
    with pytest.raises(ReplayError, match=f'{path}:1: a/b/0 has neither "response" nor "loglikelihoods"'):
        ReplaySource(path)
    with pytest.raises(ReplayError, match="not found"):
        ReplaySource(tmp_path / "missing.jsonl")


def test_replay_outputs_by_kind(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in [
        {"id": "g/s/0", "response": "hello"},
        {"id": "m/s/0", "loglikelihoods": [[-1.0, False], [-0.5, True]]},
    ]))
    src = ReplaySource(path)
    assert src.outputs("g/s/0", [GenerateRequest("p")])[0].text == "hello"
    lls = src.outputs("m/s/0", [LoglikelihoodRequest("c", " A"), LoglikelihoodRequest("c", " B")])
    assert [(o.logprob, o.is_greedy) for o in lls] == [(-1.0, False), (-0.5, True)]
    with pytest.raises(ReplayError, match="holds 1 response"):
        src.outputs("g/s/0", [GenerateRequest("p"), GenerateRequest("p", repeat=1)])
    with pytest.raises(ReplayError, match="no saved response for x/y/1"):
        src.outputs("x/y/1", [GenerateRequest("p")])

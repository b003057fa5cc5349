"""Command line, outputs (JSON, SQLite, HTML), secrets, bad input, datasets, sweeps."""
from __future__ import annotations

import json
import sqlite3

import pytest

from benchgate.perf import cli
from benchgate.perf.config import PerfConfig
from benchgate.perf.datasets import DatasetError, load_prompts
from benchgate.perf.scripted_server import Script

KEY = "sk-test-SECRET-0123456789"
FAST = Script(ttft=0.02, itl=0.005, n=6, chunk=2)


def test_cli_sweep_writes_all_outputs_without_key(scripted, tmp_path, capsys):
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "what is one"}\n{"question": "two words"}\n')
    out = tmp_path / "out"
    rc = cli.main(["--url", scripted.url(FAST), "--api", "openai", "--api-key", KEY, "--parallel", "1", "4",
                   "--number", "4", "8", "--dataset", "openqa", "--dataset-path", str(qa),
                   "--max-tokens", "6", "--outputs-dir", str(out), "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    for row in ("Time taken for tests (s)", "Expected number of requests", "Number of concurrency",
                "Completed requests", "Succeed requests", "Failed requests", "Request throughput (req/s)",
                "Average latency (s)", "Average time to first token (s)", "Output token throughput (tok/s)",
                "Average time per output token (s)", "Average inter-token latency (s)",
                "Average package per request", "Average package latency (s)",
                "Average input tokens per request", "Average output tokens per request",
                "Output token source", "Average queue time (s)", "Percentile results", "Sweep:"):
        assert row in text, row
    for p in ("10%", "25%", "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%"):
        assert f"| {p}" in text
    summary = json.loads((out / "summary.json").read_text())
    assert [r["parallel"] for r in summary["runs"]] == [1, 4]
    assert summary["runs"][1]["summary"]["Succeed requests"] == 8
    pct = json.loads((out / "percentiles.json").read_text())
    assert set(pct["runs"][0]["percentiles"]["ttft"]) >= {"p10", "p50", "p99", "mean"}
    con = sqlite3.connect(out / "requests.sqlite")
    assert con.execute("select count(*) from requests").fetchone()[0] == 12
    assert con.execute("select count(*) from runs").fetchone()[0] == 2
    con.close()
    page = (out / "report.html").read_text()
    import re
    import xml.etree.ElementTree as ET

    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(svgs) == 1 + 2 * 4  # sweep chart + (latency, TTFT, tok/s, req/s) per run
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "<svg" in page and "Sweep: throughput vs latency" in page and "Throughput over time" in page
    assert "http://" not in page.replace(scripted.base_url, "").replace("http://www.w3.org/2000/svg", "")
    for f in out.iterdir():
        assert KEY.encode() not in f.read_bytes(), f
    assert KEY not in text


def test_key_not_in_error_messages(scripted, tmp_path, capsys):
    # a server that echoes the request (404 body) must not leak the key either
    out = tmp_path / "o"
    rc = cli.main(["--url", scripted.base_url + "/nope/v1", "--api-key", KEY, "--prompt", "x",
                   "-n", "2", "--outputs-dir", str(out), "--no-progress", "--model", "m"])
    assert rc == 1  # every request failed
    assert KEY not in capsys.readouterr().out
    for f in out.iterdir():
        assert KEY.encode() not in f.read_bytes()


def test_open_loop_cli(scripted, tmp_path, capsys):
    rc = cli.main(["--url", scripted.url(FAST), "--prompt", "x", "-n", "10", "--parallel", "8", "--rate", "50",
                   "--outputs-dir", str(tmp_path), "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "Achieved rate (req/s)" in text and "Scheduled rate (req/s)" in text


def test_missing_dataset_file(tmp_path, capsys):
    rc = cli.main(["--url", "http://127.0.0.1:9/v1", "--dataset", "openqa", "--dataset-path",
                   str(tmp_path / "nope.jsonl"), "-n", "1"])
    assert rc == 4
    assert f"dataset file not found: {tmp_path / 'nope.jsonl'}" in capsys.readouterr().err


def test_malformed_line_named(tmp_path):
    f = tmp_path / "qa.jsonl"
    f.write_text('{"question": "ok"}\n\n{"question": oops}\n')
    with pytest.raises(DatasetError, match=rf"{f}:3: invalid JSON"):
        load_prompts(PerfConfig(url="http://x", dataset="openqa", dataset_path=str(f), number=[1]))
    f.write_text('{"q": "no question field"}\n')
    with pytest.raises(DatasetError, match=rf"{f}:1: expected an object with a string 'question'"):
        load_prompts(PerfConfig(url="http://x", dataset="openqa", dataset_path=str(f), number=[1]))


def test_datasets(tmp_path):
    lb = tmp_path / "p.txt"
    lb.write_text("first prompt\n\nsecond prompt\n")
    assert load_prompts(PerfConfig(url="http://x", dataset="line_by_line", dataset_path=str(lb), number=[1])) == [
        "first prompt", "second prompt"]
    sg = tmp_path / "sg.json"
    sg.write_text(json.dumps([{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]},
                              {"conversations": [{"from": "system", "value": "s"}, {"from": "human", "value": "q2"}]}]))
    assert load_prompts(PerfConfig(url="http://x", dataset="sharegpt", dataset_path=str(sg), number=[1])) == ["hi", "q2"]
    sg.write_text(json.dumps([{"conversations": [{"from": "gpt", "value": "only"}]}]))
    with pytest.raises(DatasetError, match="item 0: no human turn"):
        load_prompts(PerfConfig(url="http://x", dataset="sharegpt", dataset_path=str(sg), number=[1]))
    with pytest.raises(DatasetError, match="needs --tokenizer-path"):
        load_prompts(PerfConfig(url="http://x", dataset="random", number=[1]))


def test_random_prompts_with_tokenizer(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {f"w{i}": i for i in range(50)}
    vocab["[UNK]"] = 50
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")
    cfg = PerfConfig(url="http://x", dataset="random", min_prompt_length=5, max_prompt_length=9, number=[20])
    prompts = load_prompts(cfg, hf, 20)
    assert len(prompts) == 20
    assert all(5 <= len(hf(p, add_special_tokens=False)["input_ids"]) <= 9 for p in prompts)


def test_bad_sweep_and_args():
    from benchgate.perf.config import ConfigError

    with pytest.raises(ConfigError, match="one --number per --parallel"):
        PerfConfig(url="http://x", parallel=[1, 2, 3], number=[1, 2]).validate()
    with pytest.raises(ConfigError, match="--number .* or --duration"):
        PerfConfig(url="http://x").validate()
    assert PerfConfig(url="http://x", parallel=[1, 2], number=[5]).sweep() == [(1, 5), (2, 5)]
    assert "api_key" not in json.dumps(PerfConfig(url="http://x", api_key=KEY, number=[1]).public_dict()).replace(
        "api_key_set", "")


def test_duration_stops_sending(scripted):
    from benchgate.perf.api import run_perf

    cfg = PerfConfig(url=scripted.url(Script(ttft=0.05, itl=0.01, n=2)), prompt="x", number=[10_000],
                     parallel=[2], duration=0.5, progress=False)
    s = run_perf(cfg, write=False).points[0]["summary"]
    assert s["Stopped by --duration"] is True
    assert 4 <= s["Total requests"] <= 20


def test_progress_bar_and_warmup(scripted, capsys):
    from benchgate.perf.api import run_perf

    cfg = PerfConfig(url=scripted.url(FAST), prompt="x", number=[6], parallel=[2], warmup_num=2, progress=True)
    s = run_perf(cfg, write=False).points[0]["summary"]
    assert s["Warmup requests (failed)"] == "2 (0)" and s["Total requests"] == 6
    err = capsys.readouterr().err
    assert "sent=6" in err and "ok=6" in err and "failed=0" in err and "tok_s=" in err

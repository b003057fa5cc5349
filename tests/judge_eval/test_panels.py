"""Juries: three independent scripted 70%-accurate judges on 127.0.0.1 as one panel; the
majority is right with p^3 + 3p^2(1-p) = 0.784; panel files are checked; a panel run end to end."""
import json
import math

import pytest

from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.judge_eval.panel import read_reply, vote
from benchgate.judge_eval.verdicts import parse_llmbar
from benchgate.models.base import Generation, GenerationConfig
from benchgate.models.openai_api import OpenAIBackend
from benchgate.models.panel import PanelBackend, PanelSpecError, panel_reply, read_panel_spec
from tests.conftest import ROOT, run_pytest
from tests.judge_eval.conftest import JUDGES, LLMBAR, mean, planted

P = 0.7
MAJORITY = P ** 3 + 3 * P ** 2 * (1 - P)


def test_vote_rule():
    assert vote(["A", "A", "B"]) == "A" and vote(["A", "B"]) == "tie" and vote(["A", None, None]) == "A"
    assert vote([None, None]) is None and vote(["tie", "tie", "A"]) == "tie"
    reply = panel_reply([("x", Generation("Output (a)")), ("y", Generation("junk")), ("z", Generation("Output (b)"))])
    assert read_reply(parse_llmbar, reply).members == (("x", "A"), ("y", None), ("z", "B"))
    assert read_reply(parse_llmbar, reply).position == "tie"
    assert read_reply(parse_llmbar, "Output (b)").members == ()


def test_three_independent_70_percent_judges_vote_784_percent_right(pairs):
    ctx, items, facts = pairs
    servers = [FakeOpenAIServer(responder=planted(facts, P, f"judge-{i}")).start() for i in range(3)]
    try:
        panel = PanelBackend([(f"j{i}", OpenAIBackend(s.base_url, "fake-model", {"concurrency": 32, "timeout": 10},
                                                       GenerationConfig())) for i, s in enumerate(servers)])
        flat = [r for _, requests in items for r in requests]
        outputs = panel.generate(flat)
    finally:
        for s in servers:
            s.stop()
    scores, i = [], 0
    for sample, requests in items:
        scores.append(LLMBAR.score(ctx, sample, outputs[i:i + len(requests)]).scores)
        i += len(requests)
    verdicts = 2 * len(scores)
    for p, key in [(MAJORITY, "acc")] + [(P, f"acc_member_j{k}") for k in range(3)]:
        half = 1.959963984540054 * math.sqrt(p * (1 - p) / verdicts)
        assert abs(mean(scores, key) - p) <= half, key
    corpus = LLMBAR.corpus_metrics(scores)
    # independent judges agree only through the gold: kappa ~ (0.58 - 0.5) / 0.5 = 0.16
    assert 0.05 < corpus["members_fleiss_kappa"] < 0.3
    assert 0.05 < corpus["members_pairwise_kappa"] < 0.3


def test_panel_files_are_checked(tmp_path):
    path = tmp_path / "panel.yaml"
    path.write_text("members:\n  - {name: a, model: m}\n")
    with pytest.raises(PanelSpecError, match="at least two judges"):
        read_panel_spec(path)
    path.write_text("members:\n  - {name: a, model: m}\n  - {name: a, model: n, url: x}\n")
    with pytest.raises(PanelSpecError, match=r"members\[1\]: unknown key\(s\) \['url'\]"):
        read_panel_spec(path)
    path.write_text("members:\n  - {name: a, model: m}\n  - {name: a, model: n}\n")
    with pytest.raises(PanelSpecError, match=r"member name\(s\) \['a'\] appear more than once"):
        read_panel_spec(path)
    path.write_text("members:\n  - {name: a, model: m, api_key_env: BENCHGATE_NO_SUCH_VAR}\n  - {name: b, model: n}\n")
    with pytest.raises(PanelSpecError, match="BENCHGATE_NO_SUCH_VAR"):
        read_panel_spec(path)


def test_panel_run_end_to_end(tmp_path, pairs):
    facts = pairs[2]
    servers = [FakeOpenAIServer(responder=planted(facts, P, f"judge-{i}")).start() for i in range(2)]
    servers.append(FakeOpenAIServer(responder=lambda prompt: "no idea").start())
    try:
        spec = {"members": [{"name": f"j{i}", "model": "fake-model", "api_url": s.base_url,
                             "model_args": {"concurrency": 16}} for i, s in enumerate(servers)]}
        (tmp_path / "panel.json").write_text(json.dumps(spec))
        cmd = [str(ROOT / "evals"), "-q", "-p", "no:cacheprovider", "--model", f"panel:{tmp_path / 'panel.json'}", "--chat-template", "on", "--datasets", "llmbar",
               "--dataset-args", '{"llmbar": {"subset_list": "Manual"}}', "--dataset-dir", str(JUDGES),
               "--output-dir", str(tmp_path / "out"), "--cache-path", str(tmp_path / "c.sqlite")]
        proc = run_pytest(cmd, env={"BENCHGATE_HOME": str(tmp_path / "home")})
    finally:
        for s in servers:
            s.stop()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    metrics = json.loads((tmp_path / "out" / "results.json").read_text())["benchmarks"]["llmbar"]["metrics"]
    assert metrics["parse_failure_member_j2"]["score"] == 1.0 and metrics["acc_member_j2"]["score"] == 0.0
    assert metrics["parse_failure"]["score"] == 0.0  # two members still vote
    # with one member silent, the panel's verdict is the two others' (a tie when they disagree)
    records = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 46 and all(json.loads(r["response"][0])["panel"][2]["text"] == "no idea" for r in records)
    # calls and tokens per member: two calls per pair; tokens as each reply's usage reported them
    for n, name in enumerate(("j0", "j1", "j2")):
        assert metrics[f"calls_member_{name}"]["score"] == 92.0
        usage = [json.loads(resp)["panel"][n]["usage"] for r in records for resp in r["response"]]
        assert all(u["prompt_tokens"] > 100 for u in usage)
        assert metrics[f"tokens_member_{name}"]["score"] == sum(u["prompt_tokens"] + u["completion_tokens"] for u in usage)


def test_panel_model_args_and_member_failures_name_the_member(tmp_path):
    from benchgate.engine.options import ModelOptions
    from benchgate.models.factory import ModelUnavailable, load_backend

    with FakeOpenAIServer() as server:
        spec = {"members": [{"name": "a", "model": "fake-model", "api_url": server.base_url},
                            {"name": "b", "model": "fake-model", "api_url": server.base_url,
                             "model_args": {"concurrency": 2}}]}
        (tmp_path / "panel.json").write_text(json.dumps(spec))
        panel = load_backend(ModelOptions(f"panel:{tmp_path / 'panel.json'}", {"concurrency": 5}))
        assert [b.args.concurrency for _, b in panel.members] == [5, 2]  # a member's own setting wins
        assert panel.fingerprint()["members"][0]["name"] == "a"
    spec["members"][1]["api_url"] = "http://127.0.0.1:9/v1"
    (tmp_path / "panel.json").write_text(json.dumps(spec))
    with FakeOpenAIServer() as server:
        spec["members"][0]["api_url"] = server.base_url
        (tmp_path / "panel.json").write_text(json.dumps(spec))
        with pytest.raises(ModelUnavailable, match="panel member 'b'"):
            load_backend(ModelOptions(f"panel:{tmp_path / 'panel.json'}"))


def test_panel_backend_streams_replies_and_routes_a_member_request():
    """Each panel reply is reported once every member asked has answered it; a request with
    `panel_member` goes to that member alone; a member's failed request fails only that request."""
    from benchgate.models.base import BatchError, GenerateRequest
    from benchgate.models.panel import split_panel_reply

    servers = [FakeOpenAIServer(responder=lambda p, i=i: f"j{i}: {p}").start() for i in range(2)]
    try:
        panel = PanelBackend([(f"j{i}", OpenAIBackend(s.base_url, "fake-model", {"concurrency": 4, "max_retries": 0},
                                                       GenerationConfig())) for i, s in enumerate(servers)])
        reported, ticks = {}, []
        requests = [GenerateRequest("q0"), GenerateRequest("q1", panel_member="j1"), GenerateRequest("q2")]
        out = panel.generate(requests, progress=ticks.append, on_result=lambda i, r: reported.setdefault(i, r))
        assert [[(m["name"], m["text"]) for m in split_panel_reply(g.text)] for g in out] == [
            [("j0", "j0: q0"), ("j1", "j1: q0")], [("j1", "j1: q1")], [("j0", "j0: q2"), ("j1", "j1: q2")]]
        assert reported == dict(enumerate(out)) and sum(ticks) == 3
        assert [len(s.requests) for s in servers] == [2, 3]
        servers[0].planner = lambda n, body: "400"  # member j0 refuses every request from now on
        with pytest.raises(BatchError) as err:
            panel.generate([GenerateRequest("q3"), GenerateRequest("q4", panel_member="j1"),
                            GenerateRequest("q5", panel_member="nobody")])
        results = err.value.results
        assert "panel member 'j0'" in str(results[0]) and split_panel_reply(results[1].text)[0]["text"] == "j1: q4"
        assert "no panel member 'nobody'" in str(results[2])
        panel.close()
    finally:
        for s in servers:
            s.stop()


def test_a_panel_of_api_judges_batches_like_one_api_judge(tmp_path):
    """`api_concurrency`: a panel whose members all have an api_url is an API model (the engine
    takes the following groups along into one call), its concurrency the largest member's."""
    from types import SimpleNamespace

    from benchgate.models.factory import api_concurrency

    api = [{"name": "a", "model": "m", "api_url": "http://h/v1", "model_args": {"concurrency": 16}},
           {"name": "b", "model": "m", "api_url": "http://h2/v1"}]
    for n, (members, top, want) in enumerate([(api, {}, 16), (api, {"concurrency": 32}, 32),
                                              ([api[0], {"name": "c", "model": "/models/local"}], {}, None)]):
        (tmp_path / f"p{n}.json").write_text(json.dumps({"members": members}))
        assert api_concurrency(SimpleNamespace(model=f"panel:{tmp_path / f'p{n}.json'}", model_args=top,
                                               api_url=None)) == want
    assert api_concurrency(SimpleNamespace(model="gpt", model_args={}, api_url="http://h/v1")) == 8
    assert api_concurrency(SimpleNamespace(model="/models/x", model_args={}, api_url=None)) is None



def test_a_panel_is_not_taken_for_a_local_model(tmp_path):
    """`model_identity` (a local model's fingerprint from its files) leaves a panel alone: it is
    identified by loading it, without resolving "panel:FILE" as a checkpoint path first."""
    from types import SimpleNamespace

    from benchgate.models.factory import model_identity

    (tmp_path / "p.json").write_text(json.dumps({"members": [{"name": "a", "model": "m", "api_url": "http://h/v1"},
                                                             {"name": "b", "model": "m", "api_url": "http://h2/v1"}]}))
    assert model_identity(SimpleNamespace(model=f"panel:{tmp_path / 'p.json'}", model_args={}, api_url=None,
                                          chat_template=True)) is None


def test_api_members_answer_on_the_loop_thread_and_an_interrupt_stops_them_all(sigint_raises):
    """API members are started from the calling thread and answer on the one event loop thread
    (no thread per member); a member without `submit_generate` (a built-in model here) still
    runs on a thread of its own; Ctrl-C while the panel waits stops every member's requests in
    flight at once."""
    import signal
    import threading
    import time

    from benchgate.models.base import GenerateRequest
    from benchgate.models.builtin import DummyBackend
    from benchgate.models.panel import split_panel_reply

    servers = [FakeOpenAIServer(hang_seconds=20, responder=lambda p, i=i: f"j{i}: {p}").start() for i in range(2)]
    try:
        judges = [(f"j{i}", OpenAIBackend(s.base_url, "fake-model", {"concurrency": 4, "timeout": 30},
                                          GenerationConfig())) for i, s in enumerate(servers)]
        threads: set[str] = set()
        panel = PanelBackend(judges)
        out = panel.generate([GenerateRequest(f"q{i}") for i in range(6)],
                             on_result=lambda i, r: threads.add(threading.current_thread().name))
        assert [[m["text"] for m in split_panel_reply(g.text)] for g in out] == [
            [f"j0: q{i}", f"j1: q{i}"] for i in range(6)]
        assert threads == {"benchgate-openai-loop"}
        mixed = PanelBackend([judges[0], ("fixed", DummyBackend({"response": "Output (a)"}, GenerationConfig()))])
        assert [[m["text"] for m in split_panel_reply(g.text)] for g in mixed.generate([GenerateRequest("q")])] == [
            ["j0: q", "Output (a)"]]
        for s in servers:
            s.script = {"h": ["hang"]}
        timer = threading.Timer(0.5, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            panel.generate([GenerateRequest("h")])
        assert time.monotonic() - started < 5
        deadline = time.monotonic() + 5
        while any(s.in_flight for s in servers) and time.monotonic() < deadline:  # the hangs see their client gone
            time.sleep(0.05)
        assert [s.in_flight for s in servers] == [0, 0]
        panel.close()
    finally:
        for s in servers:
            s.stop()

"""OpenAIBackend against a real scripted HTTP server on 127.0.0.1 (no mocked clients)."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchgate.fixtures.servers import FakeOpenAIServer, fake_logprob, free_port
from benchgate.models.base import (BackendError, GenerateRequest, Generation, GenerationConfig,
                                   Loglikelihood, LoglikelihoodRequest,
                                   RollingLoglikelihoodRequest)
from benchgate.models.openai_api import (LAUNCH_SPACING_S, BatchError, LogprobsUnsupportedError, OpenAIBackend,
                                        RetriesExhaustedError, parse_loglikelihood, sanitize_url)
from benchgate.models.retry import FatalRequestError, RequestError, RetryPolicy, parse_retry_after

FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5}


@pytest.fixture(scope="module")
def module_server():
    with FakeOpenAIServer(hang_seconds=10) as srv:
        yield srv


@pytest.fixture
def server(module_server):
    module_server.reset()
    module_server.latency = 0.0
    module_server.logprobs = True
    module_server.require_key = None
    yield module_server


def make_backend(server, **args) -> OpenAIBackend:
    return OpenAIBackend(server.base_url, "fake-model", {**FAST, **args}, GenerationConfig())


def gen(prompt, **kw) -> GenerateRequest:
    return GenerateRequest(prompt, **kw)


# ----- configuration -----

def test_unknown_model_arg_names_the_key():
    with pytest.raises(ValueError, match="'concurency'"):
        OpenAIBackend("http://127.0.0.1:1/v1", "m", {"concurency": 4})
    with pytest.raises(ValueError, match="api must be one of 'chat', 'completions', got 'responses'"):
        OpenAIBackend("http://127.0.0.1:1/v1", "m", {"api": "responses"})
    # types and ranges are checked, not coerced (concurrency=1.5 used to become 1)
    for key, bad in (("concurrency", 1.5), ("concurrency", 0), ("timeout", "soon"), ("max_retries", -1),
                     ("extra_body", "[1]"), ("extra_body", "{oops"), ("max_tokens_field", "n")):
        with pytest.raises(ValueError, match=key):
            OpenAIBackend("http://127.0.0.1:1/v1", "m", {key: bad})


def test_extra_body_json_string_is_parsed():
    b = OpenAIBackend("http://127.0.0.1:1/v1", "m", {"extra_body": '{"top_k": 3}'})
    assert b.args.extra_body == {"top_k": 3}


# ----- generation -----

def test_chat_request_body_usage_and_stop_cut(server):
    server.responder = lambda p: "The answer is 4.\n\nQuestion: next"
    b = OpenAIBackend(server.base_url, "fake-model", {**FAST, "extra_body": {"x_custom": 1}},
                      GenerationConfig(max_new_tokens=7, seed=3))
    chat = ({"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"})
    out = b.generate([gen("2+2?", stop=("\n\n", "Question:")), gen(chat, max_new_tokens=2)])
    assert out[0] == Generation("The answer is 4.", {"prompt_tokens": 1, "completion_tokens": 6})
    assert out[1].text == "The answer is 4.\n\nQuestion: next"
    first, second = sorted(server.requests, key=lambda r: len(r["messages"]))
    assert first["messages"] == [{"role": "user", "content": "2+2?"}]
    assert first["stop"] == ["\n\n", "Question:"] and first["max_tokens"] == 7
    assert first["temperature"] == 0.0 and first["seed"] == 3 and first["x_custom"] == 1
    assert "top_k" not in first and "repetition_penalty" not in first and "top_p" not in first
    assert second["messages"] == [dict(m) for m in chat] and second["max_tokens"] == 2
    assert "stop" not in second


def test_sampling_fields_sent_only_when_non_default(server):
    cfg = GenerationConfig(do_sample=True, temperature=0.7, top_p=0.9, top_k=5,
                           repetition_penalty=1.1)
    OpenAIBackend(server.base_url, "fake-model", FAST, cfg).generate([gen("a")])
    body = server.requests[-1]
    assert (body["temperature"], body["top_p"], body["top_k"], body["repetition_penalty"]) == \
        (0.7, 0.9, 5, 1.1)
    OpenAIBackend(server.base_url, "fake-model", FAST,
                  GenerationConfig(do_sample=True)).generate([gen("b")])
    assert "top_k" not in server.requests[-1] and "repetition_penalty" not in server.requests[-1]


def test_completions_api_and_chat_prompt_error(server):
    b = OpenAIBackend(server.base_url, "fake-model", FAST, chat_template=False)
    assert b.args.api == "completions"
    chat = ({"role": "user", "content": "hi"},)
    with pytest.raises(BatchError) as info:
        b.generate([gen("hello"), gen(chat), gen("bye")])
    results = info.value.results
    assert results[0].text == "answer to hello" and results[2].text == "answer to bye"
    assert isinstance(results[1], FatalRequestError) and "completions API" in str(results[1])
    assert list(info.value.errors) == [1]
    assert {r["prompt"] for r in server.requests} == {"hello", "bye"}


def test_results_in_input_order_and_progress(server):
    server.latency = 0.01
    done: list[int] = []
    prompts = [f"q{i}" for i in range(30)]
    out = make_backend(server, concurrency=8).generate([gen(p) for p in prompts], progress=done.append)
    assert [g.text for g in out] == [f"answer to {p}" for p in prompts]
    assert sum(done) == 30


def test_works_inside_a_running_event_loop(server):
    async def inner():
        return make_backend(server).generate([gen("looped")])

    assert asyncio.run(inner())[0].text == "answer to looped"


# ----- faults and retries -----

def test_retry_after_is_honoured(server):
    server.script = {"slow": ["429@0.4", "ok"]}
    out = make_backend(server).generate([gen("slow"), gen("other")])
    assert out[0].text == "answer to slow" and out[1].text == "answer to other"
    first, second = server.attempts["slow"]
    assert len(server.attempts["slow"]) == 2
    assert second - first >= 0.38  # waited Retry-After, not the 10 ms backoff


@pytest.mark.parametrize("fault", ["500", "503", "502", "truncate", "malformed", "reset", "hang"])
def test_transient_fault_is_retried(server, fault):
    server.script = {"p": [fault, fault, "ok"]}
    t0 = time.monotonic()
    out = make_backend(server, timeout=0.3).generate([gen("p"), gen("q")])
    assert [g.text for g in out] == ["answer to p", "answer to q"]
    assert len(server.attempts["p"]) == 3 and len(server.attempts["q"]) == 1
    assert time.monotonic() - t0 < 3


def test_retries_exhausted_gives_per_request_error(server):
    server.script = {"bad": ["500"] * 10, "ok1": ["503", "ok"]}
    with pytest.raises(BatchError) as info:
        make_backend(server, max_retries=2).generate([gen("ok0"), gen("bad"), gen("ok1")])
    res = info.value.results
    assert isinstance(res[1], RetriesExhaustedError) and res[1].attempts == 3
    assert res[1].status == 500 and "gave up after 3 attempts" in str(res[1])
    assert len(server.attempts["bad"]) == 3
    assert res[0].text == "answer to ok0" and res[2].text == "answer to ok1"
    assert "1 of 3 requests failed" in str(info.value)


def test_hang_past_timeout_fails_clearly_when_retries_run_out(server):
    server.script = {"stuck": ["hang", "hang"]}
    t0 = time.monotonic()
    with pytest.raises(BatchError) as info:
        make_backend(server, timeout=0.3, max_retries=1).generate([gen("stuck"), gen("fine")])
    assert time.monotonic() - t0 < 2
    err = info.value.errors[0]
    assert isinstance(err, RetriesExhaustedError) and "within 0.3s" in str(err)
    assert info.value.results[1].text == "answer to fine"


def test_4xx_fails_at_once_with_server_message(server):
    server.script = {"bad": ["400!max_tokens is too large for this model"], "also": ["429", "ok"]}
    with pytest.raises(BatchError) as info:
        make_backend(server).generate([gen("bad"), gen("also"), gen("fine")])
    err = info.value.errors[0]
    assert isinstance(err, FatalRequestError) and err.status == 400 and err.attempts == 1
    assert "max_tokens is too large for this model" in str(err)
    assert len(server.attempts["bad"]) == 1
    assert [r.text for r in info.value.results[1:]] == ["answer to also", "answer to fine"]


def test_connection_refused_is_retried_then_reported():
    url = f"http://127.0.0.1:{free_port()}/v1"
    b = OpenAIBackend(url, "m", {**FAST, "max_retries": 2})
    with pytest.raises(BatchError) as info:
        b.generate([gen("x")])
    err = info.value.errors[0]
    assert err.attempts == 3 and "connection failed" in str(err)


def test_concurrency_is_bounded(server):
    server.latency = 0.1
    for limit in (4, 16):
        server.max_in_flight = 0
        make_backend(server, concurrency=limit).generate([gen(f"c{i}") for i in range(3 * limit)])
        assert server.max_in_flight == limit


@pytest.mark.timing  # a lower bound on the time between arrivals, which a loaded machine could squeeze
def test_a_batch_starts_its_requests_a_fraction_of_a_ms_apart_and_keeps_all_in_flight(server):
    """The workers start LAUNCH_SPACING_S apart (so that a steady server's answers do not come
    back as one wave), and every request is still in flight together."""
    server.latency = 0.1
    b = make_backend(server, concurrency=32)
    b.generate([gen(f"warm{i}") for i in range(32)])  # connections open: no connect in the spread
    server.latency = 1.0  # the first answer leaves long after the last request came in
    server.max_in_flight = 0
    b.generate([gen(f"spread{i}") for i in range(32)])
    b.close()
    sent = sorted(server.attempts[f"spread{i}"][0] for i in range(32))
    assert sent[-1] - sent[0] >= 0.6 * 31 * LAUNCH_SPACING_S  # 7.75 ms scheduled
    assert server.max_in_flight == 32, f"requests came in over {sent[-1] - sent[0]:.3f} s"


def test_connections_are_kept_across_calls_until_close(server):
    """An agent loop sends one batch per round: the batches share the backend's session and
    its keep-alive connections (at most `concurrency`), not a new set per call."""
    server.latency = 0.05
    gc.collect()  # backends of earlier tests, dropped unclosed, let go of the shared loop
    before = set(threading.enumerate())
    b = make_backend(server, concurrency=4)
    for round_ in range(3):
        b.generate([gen(f"r{round_}-{i}") for i in range(4)])
        assert server.max_in_flight == 4  # the 4 in flight at once: 4 connections needed
    assert len(server.requests) == 12 and len(server.connections) == 4
    loops = [t for t in set(threading.enumerate()) - before if t.name == "benchgate-openai-loop"]
    assert len(loops) == 1  # the process's, used by this backend alone
    b.close()
    assert not loops[0].is_alive()
    b.close()  # twice is fine
    assert b.generate([gen("after close")])[0].text == "answer to after close"  # starts anew
    assert len(server.connections) == 5
    b.close()


def test_backends_share_one_loop_thread_and_close_alone(server):
    """Every backend of a process runs on one event loop thread (a panel's members read their
    replies without handing the interpreter lock between loop threads), each with its own
    session, connections and concurrency: closing one leaves the others working, even while
    they have requests in flight; the thread ends with the last one."""
    server.latency = 0.2
    gc.collect()  # backends of earlier tests, dropped unclosed, let go of the shared loop
    before = set(threading.enumerate())
    a, b = make_backend(server, concurrency=2), make_backend(server, concurrency=3)
    assert a.generate([gen("a0")])[0].text == "answer to a0"
    assert b.generate([gen("b0")])[0].text == "answer to b0"
    loops = [t for t in set(threading.enumerate()) - before if t.name == "benchgate-openai-loop"]
    assert len(loops) == 1 and a._io._thread is b._io._thread is loops[0]
    server.max_in_flight = 0
    results: list = []
    busy = threading.Thread(target=lambda: results.extend(b.generate([gen(f"b{i}") for i in range(1, 7)])))
    busy.start()
    time.sleep(0.05)  # b's first three requests are in flight
    a.close()
    busy.join(10)
    assert [g.text for g in results] == [f"answer to b{i}" for i in range(1, 7)]
    assert server.max_in_flight == 3  # b's own limit, its own connections
    assert loops[0].is_alive()
    assert a.generate([gen("a1")])[0].text == "answer to a1"  # a closed starts again
    a.close()
    assert loops[0].is_alive()  # b still uses it
    b.close()
    assert not loops[0].is_alive()


def test_backend_collected_on_the_loop_thread_does_not_stall_the_others(server):
    """A backend dropped unclosed is closed by its finalizer, which the garbage collector may
    run on the loop thread itself: it must not wait there on the loop the others share."""
    server.latency = 0.05
    gc.collect()
    gone = make_backend(server)
    gone.generate([gen("g")])
    other = make_backend(server, timeout=2, max_retries=0)
    assert other.generate([gen("o0")])[0].text == "answer to o0"
    done = threading.Event()
    t0 = time.monotonic()
    other._io._loop.call_soon_threadsafe(lambda: (gone._finalizer(), done.set()))
    assert done.wait(5) and time.monotonic() - t0 < 1
    assert not gone._finalizer.alive
    assert other.generate([gen("o1")])[0].text == "answer to o1"
    other.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_loop(server):
    """The shared loop thread is not inherited by a forked child (threads do not survive a
    fork): the child's first call starts the child's own loop, and the parent's keeps working."""
    b = make_backend(server)
    assert b.generate([gen("parent")])[0].text == "answer to parent"
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if its call works (killed if it hangs)
        signal.alarm(20)
        ok = False
        with contextlib.suppress(BaseException):
            ok = b.generate([gen("child")])[0].text == "answer to child" and \
                b._io._thread.is_alive() and b._io._pid == os.getpid()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b.generate([gen("parent again")])[0].text == "answer to parent again"
    b.close()


@settings(max_examples=150, deadline=None)
@given(prompt=st.text(), extra=st.dictionaries(
    st.sampled_from(["model", "seed", "messages", "top_k", "n", "é"]),
    st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=4))
def test_a_chat_request_is_sent_as_the_json_of_its_fields(prompt, extra):
    """The bytes sent for a chat prompt (its messages encoded once per text, for every member
    of a panel) are valid JSON in json.dumps' form, with one "messages" key (the request's, not
    extra_body's) holding the prompt, and extra_body merged (None drops a key)."""
    b = OpenAIBackend("http://127.0.0.1:9/v1", "judge", {"extra_body": extra})
    sent = b._generate_call(gen(prompt, max_new_tokens=7)).data()
    body = json.loads(sent)
    assert sent == json.dumps(body).encode()  # standard form, and no key twice
    want = {"model": "judge", "max_tokens": 7, "seed": GenerationConfig().seed, "temperature": 0.0}
    for key, value in extra.items():
        if value is None:
            want.pop(key, None)
        else:
            want[key] = value
    want["messages"] = [{"role": "user", "content": prompt}]
    assert body == want and list(body)[-1] == "messages"


def test_submit_generate_returns_at_once_and_cancel_stops_the_requests(server):
    """`submit_generate` (a panel starts its API members with it from one thread): a Future of
    the results, a failed request's RequestError in its place (no BatchError); cancelling it
    closes the requests in flight."""
    server.script = {"bad": ["400"]}
    b = make_backend(server, concurrency=4, max_retries=0)
    results = b.submit_generate([gen("a"), gen("bad")]).result(10)
    assert results[0].text == "answer to a" and isinstance(results[1], RequestError) and "400" in str(results[1])
    server.script = {f"h{i}": ["hang"] for i in range(3)}
    future = b.submit_generate([gen(f"h{i}") for i in range(3)])
    deadline = time.monotonic() + 5
    while server.in_flight < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.in_flight == 3 and not future.done()
    future.cancel()
    while server.in_flight and time.monotonic() < deadline + 5:  # the hangs see their client gone
        time.sleep(0.05)
    assert server.in_flight == 0
    b.close()


def test_interrupt_while_waiting_cancels_the_requests_in_flight(server, sigint_raises):
    """Ctrl-C (SIGINT in the main thread) while a batch waits on the server: KeyboardInterrupt
    at once, the hanging requests are cancelled (their connections closed), and the backend
    still works afterwards."""
    server.script = {f"h{i}": ["hang"] for i in range(3)}
    b = make_backend(server, concurrency=4, timeout=30)
    timer = threading.Timer(0.5, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        b.generate([gen(f"h{i}") for i in range(3)])
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while server.in_flight and time.monotonic() < deadline:  # the hangs see their client gone
        time.sleep(0.05)
    assert server.in_flight == 0
    assert b.generate([gen("h0")])[0].text == "answer to h0"  # second attempt: "ok"
    b.close()


# ----- loglikelihood -----

def test_loglikelihood_sums_continuation_tokens(server):
    b = make_backend(server)
    reqs = [LoglikelihoodRequest("Question: sky color? Answer:", " blue sky"),
            LoglikelihoodRequest("Answer: bl", "ue"),  # token " blue" straddles the boundary
            LoglikelihoodRequest("Answer:", " red"),
            LoglikelihoodRequest("Answer:", "")]
    server.non_greedy = {" red"}
    out = b.loglikelihood(reqs)
    assert out[0] == Loglikelihood(fake_logprob(" blue") + fake_logprob(" sky"), True)
    assert out[1] == Loglikelihood(fake_logprob(" blue"), True)
    assert out[2] == Loglikelihood(fake_logprob(" red"), False)
    assert out[3] == Loglikelihood(0.0, True)
    body = server.requests[0]
    assert body["echo"] is True and body["logprobs"] == 1 and body["max_tokens"] == 1
    assert body["prompt"] == "Question: sky color? Answer: blue sky"


def test_loglikelihood_max_tokens_zero_and_rolling(server):
    b = make_backend(server, logprobs_max_tokens=0)
    assert b.loglikelihood([LoglikelihoodRequest("a b", " c")])[0].logprob == fake_logprob(" c")
    assert server.requests[-1]["max_tokens"] == 0
    text = "one two three"
    assert make_backend(server).loglikelihood_rolling([RollingLoglikelihoodRequest(text)]) == \
        [fake_logprob(" two") + fake_logprob(" three")]


def test_loglikelihood_boundary_with_echoed_bos():
    """A server that echoes the BOS as text ("<s>") shifts every offset; the boundary follows."""
    tokens = ["<s>", "Hi", " there", " you", " x"]
    data = {"choices": [{"text": "<s>Hi there you x", "logprobs": {
        "tokens": tokens, "token_logprobs": [None, -1.0, -2.0, -3.0, -9.0],
        "text_offset": [0, 3, 5, 11, 15],
        "top_logprobs": [None, {"Hi": -1.0}, {" there": -2.0}, {" me": -0.1, " you": -3.0},
                         {" x": -9.0}]}}]}
    assert parse_loglikelihood(data, "Hi", " there you") == Loglikelihood(-5.0, False)
    assert parse_loglikelihood(data, "Hi there", " you") == Loglikelihood(-3.0, False)
    assert parse_loglikelihood(data, "Hi", " there") == Loglikelihood(-2.0, True)


def test_loglikelihood_unsupported_server_fails_fast_and_clearly(server):
    server.logprobs = False  # like `transformers serve`, which ignores echo/logprobs
    reqs = [LoglikelihoodRequest("a", f" {i}") for i in range(20)]
    with pytest.raises(LogprobsUnsupportedError) as info:
        make_backend(server).loglikelihood(reqs)
    message = str(info.value)
    assert "echo" in message and "logprobs" in message and '"mode": "generate"' in message
    assert len(server.requests) == 1  # probed with one request, not 20
    with pytest.raises(LogprobsUnsupportedError):
        make_backend(server).loglikelihood_rolling([RollingLoglikelihoodRequest("a b")])


def test_loglikelihood_missing_endpoint_is_unsupported(server):
    url = server.base_url.replace("/v1", "/nope")
    with pytest.raises(LogprobsUnsupportedError, match="HTTP 404"):
        OpenAIBackend(url, "m", FAST).loglikelihood([LoglikelihoodRequest("a", " b")])


# ----- secrets and identity -----

def test_api_key_never_leaks(server, monkeypatch, caplog):
    key = "sk-test-SECRET-0123456789"
    monkeypatch.setenv("BENCHGATE_API_KEY", key)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-other-should-not-be-used")
    server.require_key = "sk-the-right-one"  # 401 that echoes the key it got, as OpenAI does
    caplog.set_level(logging.DEBUG)
    b = make_backend(server, max_retries=1)
    with pytest.raises(BatchError) as info:
        b.generate([gen("x")])
    assert server.auth_headers[-1] == f"Bearer {key}"
    err = info.value.errors[0]
    assert err.status == 401 and "Incorrect API key provided: ***" in str(err)
    texts = [str(info.value), repr(info.value.results), repr(err), repr(b), str(vars(b)),
             json.dumps(b.fingerprint()), caplog.text]
    assert not any(key in t for t in texts)
    with pytest.raises(ValueError) as bad:
        OpenAIBackend(server.base_url, "m", {"api_key": key})
    assert key not in str(bad.value) and "BENCHGATE_API_KEY" in str(bad.value)


def test_openai_api_key_fallback(server, monkeypatch):
    monkeypatch.delenv("BENCHGATE_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fallback-key")
    make_backend(server).generate([gen("k")])
    assert server.auth_headers[-1] == "Bearer sk-fallback-key"


def test_fingerprint(server):
    b = OpenAIBackend(server.base_url.replace("127.0.0.1", "user:pw@127.0.0.1") + "/",
                      "fake-model", FAST)
    fp = b.fingerprint()
    assert fp["base_url"] == server.base_url and fp["model"] == "fake-model"
    assert fp["api"] == "chat" and fp["server_model"] == {"id": "fake-model", "owned_by": "fake"}
    assert "pw" not in json.dumps(fp) and "pw" not in repr(b)
    none = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", "m", FAST).fingerprint()
    assert none["server_model"] is None


# ----- retry policy -----

def test_retry_policy_full_jitter_and_retry_after():
    policy = RetryPolicy(max_retries=5, backoff_base=0.5, backoff_max=4.0, max_retry_after=10)
    for k, ceiling in [(0, 0.5), (1, 1.0), (3, 4.0), (8, 4.0)]:
        delays = [policy.delay(k) for _ in range(200)]
        assert 0 <= min(delays) and max(delays) <= ceiling and max(delays) > ceiling / 2
    assert policy.delay(0, retry_after=3.0) == 3.0 and policy.delay(0, retry_after=99) == 10
    assert parse_retry_after("2.5") == 2.5 and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert 9 <= parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) <= 10


def test_sanitize_url_and_error_type():
    assert sanitize_url("https://u:p@api.x.com:8443/v1/?key=1#f") == "https://api.x.com:8443/v1"
    assert issubclass(BatchError, BackendError)


def test_extra_body_none_drops_a_field_and_max_tokens_field(server):
    b = make_backend(server, extra_body={"seed": None}, max_tokens_field="max_completion_tokens")
    b.generate([gen("a", max_new_tokens=3)])
    body = server.requests[-1]
    assert "seed" not in body and "max_tokens" not in body and body["max_completion_tokens"] == 3


# ----- probe (fail fast) -----

def test_probe_fails_once_for_an_unreachable_server_or_a_refused_key(server):
    import socket

    from benchgate.models.openai_api import ServerUnavailableError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServerUnavailableError, match=f"http://127.0.0.1:{port}/v1 cannot be reached"):
        OpenAIBackend(f"http://127.0.0.1:{port}/v1", "m").probe()
    server.require_key = "sk-good"
    with pytest.raises(ServerUnavailableError, match="refused the API key: HTTP 401") as e:
        OpenAIBackend(server.base_url, "fake-model", api_key="sk-bad-0123").probe()
    assert "sk-bad-0123" not in str(e.value)
    OpenAIBackend(server.base_url, "fake-model", api_key="sk-good").probe()
    # a server without /models (404) is not refused: its requests decide
    server.require_key = None
    OpenAIBackend(server.base_url.replace("/v1", "/v1/no-models-here"), "m").probe()


def test_probe_answer_gives_the_fingerprint_without_a_second_listing(server):
    b = OpenAIBackend(server.base_url, "fake-model")
    before = server.model_listings
    b.probe()
    assert b.fingerprint()["server_model"]["id"] == "fake-model"
    assert server.model_listings == before + 1

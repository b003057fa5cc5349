"""Native tool calling over the OpenAI API against a real scripted server on 127.0.0.1: the
`tools` sent, `tool_calls` read back (plain and streamed, deltas split across chunks, merged by
index), malformed arguments kept as sent (the benchmark records them as a wrong answer with its
reason), tools on the completions API refused."""
import json

import pytest

from benchgate.agent import fc_mode, prompt_mode
from benchgate.fixtures.servers import FakeOpenAIServer
from benchgate.models.base import GenerateRequest, GenerationConfig
from benchgate.models.openai_api import BatchError, OpenAIBackend, merge_stream

TOOLS = json.dumps([{"type": "function", "function": {"name": "get_weather", "description": "d", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])
CALLS = {"weather in Paris": [{"name": "get_weather", "arguments": json.dumps({"city": "Paris, France"})},
                              {"name": "get_weather", "arguments": json.dumps({"city": "Lyon"})}],
         "broken": [{"name": "get_weather", "arguments": '{"city": "Par'}],
         "chat": None}


def responder(body):
    return CALLS[body["messages"][-1]["content"]]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_round_trip(stream):
    with FakeOpenAIServer(tool_responder=responder) as server:
        backend = OpenAIBackend(server.base_url, "fake-model", {"stream": stream, "timeout": 5}, GenerationConfig())
        requests = [GenerateRequest(({"role": "user", "content": k},), tools=TOOLS) for k in CALLS]
        out = backend.generate(requests)
        backend.close()
        body = server.requests[0]
        assert body["tools"] == json.loads(TOOLS) and body.get("stream", False) is stream
    assert fc_mode.decode(out[0].text) == [{"get_weather": {"city": "Paris, France"}}, {"get_weather": {"city": "Lyon"}}]
    with pytest.raises(prompt_mode.DecodeError, match="arguments are not valid JSON"):
        fc_mode.decode(out[1].text)
    assert json.loads(out[1].text)["tool_calls"][0]["arguments"] == '{"city": "Par'  # kept as the model sent it
    assert "tool_calls" not in out[2].text and fc_mode.decode(out[2].text) == out[2].text  # text stays text


def test_stream_merge_joins_split_deltas():
    chunks = [{"choices": [{"delta": {"role": "assistant"}}]},
              {"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": ""}}]}}]},
              {"choices": [{"delta": {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{\"y"}}]}}]},
              {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"x\":"}}]}}]},
              {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": " 1}"}}]}}]},
              {"choices": [{"delta": {"tool_calls": [{"index": 1, "function": {"arguments": "\": 2}"}}]}}]}]
    raw = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    message = merge_stream(raw.encode())["choices"][0]["message"]
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message["tool_calls"]] == [
        ("f", {"x": 1}), ("g", {"y": 2})]


def test_tools_need_the_chat_api():
    with FakeOpenAIServer() as server:
        backend = OpenAIBackend(server.base_url, "fake-model", {"api": "completions", "timeout": 5}, GenerationConfig())
        with pytest.raises(BatchError, match="tool calling .* needs the chat API"):
            backend.generate([GenerateRequest("hi", tools=TOOLS)])
        backend.close()
        assert server.requests == []

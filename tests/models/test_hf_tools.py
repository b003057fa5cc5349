"""BFCL on a local model: a tiny model built here (the smoke model's weights) with a
tool-capable chat template (Hermes style: tools listed in the system turn, calls as
<tool_call>{json}</tool_call>). fc mode renders the tools through the template and scores the
raw text; prompt mode uses BFCL's system prompt; a template without tool support is a usage
error naming `mode: prompt`."""
import json
import shutil

import pytest

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import BackendError, GenerationConfig
from benchgate.models.hf import HFBackend
from tests.conftest import ROOT

BFCL = import_benchmark(ROOT / "evals" / "bfcl.py")
TOOL_TEMPLATE = (
    "{{ bos_token }}{% if tools %}<|system|>\n# Tools\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}"
    "Call a tool as <tool_call>{\"name\": ..., \"arguments\": {...}}</tool_call>{{ eos_token }}\n{% endif %}"
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


@pytest.fixture(scope="module")
def tool_model(smoke_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("tool_model")
    shutil.copytree(smoke_path, out, dirs_exist_ok=True)
    config = json.loads((out / "tokenizer_config.json").read_text())
    config["chat_template"] = TOOL_TEMPLATE
    (out / "tokenizer_config.json").write_text(json.dumps(config))
    for extra in ("chat_template.jinja", "chat_template.json"):
        (out / extra).unlink(missing_ok=True)
    return str(out)


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_local_model_end_to_end(tool_model, agent_dir, mode):
    backend = HFBackend(tool_model, {}, GenerationConfig(max_new_tokens=12), chat_template=True)
    ctx = RunContext(agent_dir, "local", BFCL.effective_args({"mode": mode}), chat=True)
    samples = BFCL.load(ctx, "simple_python")[:2] + BFCL.load(ctx, "irrelevance")[:2]
    requests = [BFCL.requests(ctx, s)[0] for s in samples]
    rendered = backend.tokenizer.decode(backend._prompt_tokens(requests[0], 0))
    if mode == "fc":
        assert '"name": "calculate_triangle_area"' in rendered and "# Tools" in rendered
    else:
        assert "Here is a list of functions in json format" in rendered and "# Tools" not in rendered
    outputs = backend.generate(requests)
    for sample, output in zip(samples, outputs):
        scored = BFCL.score(ctx, sample, [output])
        assert scored.scores["acc"] in (0.0, 1.0)
        assert scored.extracted["case_id"] == sample.data["id"]
        if scored.scores["acc"] == 0.0:
            assert scored.extracted["error_type"]
    backend.close()


def test_template_without_tools_is_a_usage_error_naming_prompt_mode(smoke_path, agent_dir):
    backend = HFBackend(smoke_path, {}, GenerationConfig(max_new_tokens=4), chat_template=True)
    ctx = RunContext(agent_dir, "local", BFCL.effective_args({"mode": "fc"}), chat=True)
    request = BFCL.requests(ctx, BFCL.load(ctx, "simple_python")[0])[0]
    with pytest.raises(BackendError, match='has no tool support.*"mode": "prompt"'):
        backend.generate([request])
    backend.close()

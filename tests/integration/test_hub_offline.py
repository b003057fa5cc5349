"""Hub loading is real code: offline, it fails with a message naming the dataset, the hub and
the way out (--dataset-dir). A --dataset-dir run never touches the network."""
import pytest

# run_evals in a subprocess: the tests are about fail-fast of a process that cannot reach the hub
pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


@pytest.mark.parametrize("hub,dataset_id,env", [
    ("huggingface", "cais/mmlu", {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}),
    ("modelscope", "modelscope/mmlu", {}),
])
def test_offline_hub_dataset_error_is_clear(run_evals, hub, dataset_id, env):
    run = run_evals("--model", "dummy", "--datasets", "mmlu", "--limit", "1", "--dataset-hub", hub,
                    "-k", "anatomy", "--dataset-args", '{"mmlu": {"subset_list": ["anatomy"]}}',
                    env=env, timeout=300)
    assert run.code != 0
    assert f"could not load dataset '{dataset_id}' (subset 'anatomy', split 'test') from {hub}" in run.out
    assert "pass --dataset-dir with a local copy" in run.out
    # what is wrong, not "Offline?": offline mode set (huggingface here), or no network
    assert ("offline mode is set" if env else "no network:") in run.out, run.out


def test_local_data_never_touches_the_network(run_evals):
    # any attempt to reach a hub would fail loudly with these proxies; the run must pass
    env = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "HF_ENDPOINT": "http://127.0.0.1:9", "MODELSCOPE_DOMAIN": "127.0.0.1:9"}
    run = run_evals("--model", "oracle", "--datasets", "mmlu", "gsm8k", "--limit", "1", env=env)
    assert run.code == 0, run.out

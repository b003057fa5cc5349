"""The session fixtures give hand-written tests the same model as the benchmark samples."""
from tests.conftest import run_pytest


def test_model_fixture_in_a_user_test(tmp_path):
    (tmp_path / "test_user.py").write_text(
        "from benchgate.models.base import GenerateRequest\n"
        "def test_uses_model(benchgate_model, benchgate_options):\n"
        "    assert benchgate_options.model == 'dummy'\n"
        "    (out,) = benchgate_model.generate([GenerateRequest('hi')])\n"
        "    assert out.text == 'fixed'\n"
        "def test_same_object(benchgate_model, benchgate_predictor):\n"
        "    assert benchgate_model is benchgate_predictor.backend\n")
    proc = run_pytest([str(tmp_path), "-q", "-p", "no:cacheprovider", "--model", "dummy",
                       "--model-args", "response=fixed"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout

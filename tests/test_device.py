"""--device: CUDA when torch sees a GPU, the CPU otherwise; a device this machine lacks is one clear error."""

from __future__ import annotations

import pytest

from wordlens.core.transformer.context_model import load_context_model

from cli_support import assert_one_line_error, never_open_the_explorer, run  # noqa: F401 (the fixture applies by import)


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


needs_no_cuda = pytest.mark.skipif("cuda_available()", reason="this machine has CUDA")


@needs_no_cuda
def test_auto_picks_the_cpu_without_a_gpu(tiny_model_dir):
    assert load_context_model(tiny_model_dir, device="auto").info.device == "cpu"


@needs_no_cuda
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:1"])
@pytest.mark.parametrize("command", [["attention", "hello"], ["compare", "a dog", "the dog", "--word", "dog"], []])
def test_cuda_without_a_gpu_is_one_line_and_exit_2(capsys, tiny_model_dir, vectors_file, device, command):
    # [] is the explorer: it must refuse before opening (the fixture fails the test if it opens).
    code, out, err = run(capsys, *command, "--model", tiny_model_dir, "--vectors", vectors_file, "--device", device)
    assert_one_line_error(code, out, err, f"--device {device}", "CUDA")


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "CPU", ""])
def test_a_misspelt_device_is_one_line_and_exit_2(capsys, tiny_model_dir, device):
    code, out, err = run(capsys, "attention", "hello", "--model", tiny_model_dir, "--device", device)
    assert_one_line_error(code, out, err, "--device", "cuda:N")


@needs_no_cuda
def test_the_installed_script_refuses_cuda_in_one_line():
    from test_cli import run_script

    done = run_script("attention", "hello", "--device", "cuda")
    assert_one_line_error(done.returncode, done.stdout, done.stderr, "--device cuda")

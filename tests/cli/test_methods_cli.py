"""``--set method=NAME`` on the command line, and each bad method input as one line, exit 2."""

from __future__ import annotations

from tests.cli.test_cli import igrag


def test_unknown_method_lists_the_valid_ones():
    result = igrag("validate", "configs/demo.yaml", "--set", "method=compacter")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "igrag: error: configs/demo.yaml: method: 'compacter' is not a supported tuning method; use one of: lora, "
        "adalora, ia3, loha, lokr, vera, oft, prompt_tuning, prefix_tuning, p_tuning, adapter"]


def test_a_method_the_family_cannot_train_is_refused_before_start():
    result = igrag("train", "configs/demo.yaml", "--set", "method=prefix_tuning")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "igrag: error: configs/demo.yaml: method: prefix_tuning cannot train a seq2seq model here: "
        "transformers 5 generates with its own cache and drops the past_key_values that carry PEFT's "
        "prefix, so a trained prefix would never reach the captions; choose another method")


def test_oft_block_size_that_does_not_divide_the_width():
    result = igrag("params", "configs/demo.yaml", "--set", "method=oft", "--set", "oft.oft_block_size=24",
                   "--set", "oft.target_modules=[q, v]")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "igrag: error: configs/demo.yaml: oft.oft_block_size: 24 does not divide the width 128 of module 'q'; "
        "use a divisor such as 8, 16, 32, 64, 128")


def test_another_methods_section_is_a_warning_naming_it():
    result = igrag("params", "configs/demo.yaml", "--set", "method=ia3")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [
        "igrag: warning: configs/demo.yaml:29: lora: is ignored while method is 'ia3' (its r, lora_alpha, "
        "dropout, target_modules, ... apply to lora only)"]
    assert "method     ia3: " in result.stdout


def test_generate_streams_with_a_prompt_tuning_adapter(tmp_path):
    """PEFT deep-copies generate()'s arguments for prompt methods; the streamer must survive it."""
    from peft import PromptTuningConfig, get_peft_model
    from transformers import AutoModelForSeq2SeqLM

    from igrag_gui.resources import demo_model_path

    model = get_peft_model(AutoModelForSeq2SeqLM.from_pretrained(demo_model_path()),
                           PromptTuningConfig(task_type="SEQ_2_SEQ_LM", num_virtual_tokens=4,
                                              num_transformer_submodules=1))
    model.save_pretrained(tmp_path / "pt")
    result = igrag("generate", "--base", "demo", "--adapter", str(tmp_path / "pt"), "--side-by-side",
                   "Write a caption for the image.")
    assert result.returncode == 0, result.stderr
    assert "[base] " in result.stdout and "[pt] " in result.stdout

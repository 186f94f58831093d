"""The run-config form: filled from the demo config, edited by real widget interaction, painted
with what ``RunConfig.validate`` returns, and lossless for what it does not edit."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QGroupBox, QSpinBox

from igrag_gui.core.config import SECTION_CLASSES, Problem, RunConfig, field_help, field_specs, load_config
from igrag_gui.resources import demo_config_path, demo_model_path
from igrag_gui.ui.train.form.config_form import ConfigForm
from igrag_gui.ui.train.form.log_scale_field import LogScaleField
from igrag_gui.ui.train.form.model_picker import DEMO_LABEL, ModelPicker
from igrag_gui.ui.train.form.target_picker import TargetPicker

T5 = {"q": 24, "k": 24, "v": 24, "o": 24, "wi_0": 12, "wi_1": 12, "wo": 12, "lm_head": 1}
LLAMA = {"q_proj": 2, "k_proj": 2, "v_proj": 2, "o_proj": 2, "gate_proj": 2, "up_proj": 2,
         "down_proj": 2, "lm_head": 1}
GPT2 = {"c_attn": 2, "c_proj": 4, "c_fc": 2, "lm_head": 1}


@pytest.fixture
def demo():
    cfg, _ = load_config(demo_config_path())
    return cfg


@pytest.fixture
def form(qtbot, demo):
    form = ConfigForm()
    qtbot.addWidget(form)
    form.resize(1000, 800)
    form.set_config(demo)
    return form


def test_demo_config_shows_in_the_widgets(qtbot, form, demo):
    e = form.editor
    assert isinstance(e("model.base_model_path"), ModelPicker)
    assert e("model.base_model_path").text() == "../resources/demo/model"  # relative stays relative
    assert e("model.type").currentText() == "seq2seq"
    assert e("data.train_path").text() == "../resources/demo/data/train.jsonl"
    assert isinstance(e("data.max_source_length"), QSpinBox) and e("data.max_source_length").value() == 256
    assert isinstance(e("training.num_train_epochs"), QDoubleSpinBox)
    assert e("training.num_train_epochs").value() == 2.0
    assert e("training.max_steps").value() == -1 and e("training.max_steps").text() == "use epochs"
    assert e("training.save_total_limit").value() == 2
    assert e("training.train_batch_size").value() == 8
    assert isinstance(e("training.fp16"), QCheckBox) and not e("training.fp16").isChecked()
    assert e("training.report_to").currentText() == "none"
    lr = e("training.learning_rate")
    assert isinstance(lr, LogScaleField) and lr.value() == 2e-3 and lr.text() == "2e-03"
    assert lr.slider.value() == -270  # 100 * log10(2e-3)
    assert e("lora.r").value() == 16 and e("lora.lora_alpha").value() == 32
    assert e("lora.dropout").value() == pytest.approx(0.05) and e("lora.dropout").singleStep() == 0.05
    assert isinstance(e("lora.target_modules"), TargetPicker)
    assert e("lora.target_modules").value() == ["q", "k", "v", "o", "wi_0", "wi_1", "wo"]
    # Generated from field_specs: every field (every method's too), its help as tooltip, in titled groups.
    keys = [f"{s}.{f.name}" for s in SECTION_CLASSES for f in field_specs(s)]
    assert form.field_keys() == keys
    # Path fields add where the path leads: "Resolves to <absolute path>" after the help.
    assert all(e(k).toolTip().split("\n\nResolves to ")[0] == field_help(k) for k in keys)
    assert "\n\nResolves to " in e("data.train_path").toolTip()
    assert form.row_label("training.learning_rate").text() == "Learning rate"
    assert form.row_label("lora.lora_alpha").text() == "LoRA alpha"
    assert form.row_label("data.prompt_field").text() == "Prompt field"
    assert e("lora.use_dora").text() == "Weight-decomposed LoRA (DoRA)"
    shown = sorted(g.title() for g in form.findChildren(QGroupBox) if not g.isHidden())
    assert shown == sorted(["Model", "Data", "Training", "PEFT method", "LoRA"])  # other methods hidden


def test_set_config_is_silent_and_round_trips_unknown_keys_and_aliases(qtbot, make_config, demo):
    path = make_config(raw=(
        "model: {base_model_path: google/flan-t5-base}\n"
        "training: {output_dir: out, label_smoothing: 0.1, save_total_limit: null}\n"
        "lora:\n  r: 16\n  alpha: 16\n  target_modules: [v, q]\n  experimental_flag: true\n"
        "notes: keep me\n"))
    cfg, warnings = load_config(path)
    assert cfg.spellings == {"lora.lora_alpha": "alpha"} and len(warnings) == 3
    form = ConfigForm()
    qtbot.addWidget(form)
    with qtbot.assertNotEmitted(form.edited):
        form.set_config(cfg)
    assert form.config().to_dict() == cfg.to_dict()
    assert form.editor("training.save_total_limit").text() == "keep all"
    assert "experimental_flag" in form.unknown_label.text()
    form.editor("lora.r").setValue(8)  # an edit elsewhere keeps them too
    out = form.config().to_dict()
    assert out["lora"]["alpha"] == 16 and "lora_alpha" not in out["lora"]
    assert out["lora"]["experimental_flag"] is True and out["training"]["label_smoothing"] == 0.1
    assert out["notes"] == "keep me" and out["lora"]["r"] == 8
    assert out["lora"]["target_modules"] == ["v", "q"] and out["training"]["save_total_limit"] is None
    form.set_config(demo)
    assert form.config().to_dict() == demo.to_dict() and form.edited_keys() == []


def test_user_edits_fire_edited_and_reach_config(qtbot, form):
    e = form.editor
    form.show()
    qtbot.waitExposed(form)

    def edit(action):
        with qtbot.waitSignal(form.edited, timeout=1000):
            action()

    prompt = e("data.prompt_field")
    prompt.selectAll()
    edit(lambda: qtbot.keyClicks(prompt, "question"))
    edit(lambda: e("lora.r").setValue(8))
    edit(lambda: qtbot.mouseClick(e("training.fp16"), Qt.MouseButton.LeftButton))
    edit(lambda: e("training.eval_strategy").setCurrentText("steps"))
    limit = e("training.save_total_limit")
    edit(lambda: limit.setValue(limit.minimum()))
    assert limit.text() == "keep all"
    edit(lambda: e("lora.dropout").stepUp())
    edit(lambda: e("training.report_to").setCurrentText("tensorboard, mlflow"))
    edit(lambda: qtbot.keyClicks(e("model.base_model_path").combo.lineEdit(), "-v2"))
    cfg = form.config()
    assert cfg.data.prompt_field == "question"
    assert cfg.lora.r == 8 and cfg.training.fp16 is True and cfg.training.eval_strategy == "steps"
    assert cfg.training.save_total_limit is None
    assert cfg.lora.dropout == pytest.approx(0.1)
    assert cfg.training.report_to == ["tensorboard", "mlflow"]
    assert cfg.model.base_model_path == "../resources/demo/model-v2"
    assert cfg.lora.lora_alpha == 32 and type(cfg.lora.lora_alpha) is int  # untouched: as loaded
    assert form.edited_keys() == ["model.base_model_path", "data.prompt_field",
                                  "training.eval_strategy", "training.save_total_limit",
                                  "training.fp16", "training.report_to", "lora.r", "lora.dropout"]


def test_a_value_no_widget_can_show_is_kept_and_marked(qtbot, make_config):
    cfg, _ = load_config(make_config(lora={"r": "sixteen"}, training={"bf16": "yes"}))
    form = ConfigForm()
    qtbot.addWidget(form)
    form.set_config(cfg)
    form.show()
    r = form.editor("lora.r")
    assert r.text() == "sixteen"  # shown as it is, not silently replaced by a number
    assert form.editor("training.bf16").checkState() == Qt.CheckState.PartiallyChecked
    out = form.config()
    assert out.lora.r == "sixteen" and out.training.bf16 == "yes"
    problems = out.validate()
    r_problem = next(p for p in problems if p.field == "lora.r")
    assert r_problem.message == "must be a whole number such as 16, got the text 'sixteen'"
    form.set_problems(problems + [Problem("training.warmup_steps", "looks long", "warning"),
                                  Problem("method", "'x' is not a supported PEFT method")])
    assert r.property("problem") == "error"
    assert form.message_label("lora.r").text() == r_problem.message
    assert form.message_label("lora.r").isVisible()
    assert form.editor("training.warmup_steps").property("problem") == "warning"
    assert form.editor("lora.lora_alpha").property("problem") in (None, "")
    assert not form.message_label("lora.lora_alpha").isVisible()
    assert form.method_note.isVisible()  # beside the method selector
    assert form.method_note.text() == "'x' is not a supported PEFT method"
    # Editing the field replaces the raw value; the next validation clears the mark.
    with qtbot.waitSignal(form.edited):
        r.stepUp()
    assert form.config().lora.r == 2 and r.text() == "2"
    form.set_problems(form.config().validate())
    assert r.property("problem") == "" and not form.message_label("lora.r").isVisible()
    assert form.editor("training.bf16").property("problem") == "error"  # still 'yes'
    assert not form.summary_label.isVisible()


def test_log_scale_field_takes_typed_values_and_follows_the_slider(qtbot):
    field = LogScaleField(3e-4)
    qtbot.addWidget(field)
    assert field.text() == "3e-04"
    field.line_edit.clear()
    seen = []
    field.valueChanged.connect(seen.append)
    qtbot.keyClicks(field.line_edit, "2e-4")  # "2", "2e" (not a number), "2e-", "2e-4"
    assert seen == [2.0, pytest.approx(2e-4)] and field.value() == pytest.approx(2e-4)
    assert field.slider.value() == round(math.log10(2e-4) * 100)
    field.line_edit.clear()
    qtbot.keyClicks(field.line_edit, "0.0005")
    qtbot.keyClick(field.line_edit, Qt.Key.Key_Return)
    assert field.value() == pytest.approx(5e-4) and field.text() == "5e-04"
    assert field.slider.value() == round(math.log10(5e-4) * 100)
    with qtbot.waitSignal(field.valueChanged):
        field.slider.setValue(-200)
    assert field.value() == pytest.approx(1e-2) and field.text() == "1e-02"
    field.setValue(20.0)  # outside the slider: kept as typed, the slider parks at its end
    assert field.value() == 20.0 and field.slider.value() == field.slider.maximum()


def test_learning_rate_text_that_is_not_a_number_is_left_to_validate(qtbot, form):
    lr = form.editor("training.learning_rate")
    lr.line_edit.clear()
    with qtbot.waitSignal(form.edited):
        qtbot.keyClicks(lr.line_edit, "fast")
    assert lr.value() == 2e-3 and lr.text() == "fast"
    cfg = form.config()
    assert cfg.training.learning_rate == "fast"
    assert any(p.field == "training.learning_rate" for p in cfg.validate(check_files=False))


@pytest.mark.parametrize("modules, qv, attention", [
    (T5, ["q", "v"], ["q", "k", "v", "o"]),
    (LLAMA, ["q_proj", "v_proj"], ["q_proj", "k_proj", "v_proj", "o_proj"]),
    (GPT2, ["c_attn"], ["c_attn", "c_proj"]),
])
def test_target_presets_pick_by_name(qtbot, modules, qv, attention):
    picker = TargetPicker()
    qtbot.addWidget(picker)
    picker.set_modules(modules, output_layer="lm_head")
    assert picker.list_widget.item(0).text() == f"{next(iter(modules))}  ×{next(iter(modules.values()))}"
    with qtbot.waitSignal(picker.changed):
        qtbot.mouseClick(picker.qv_button, Qt.MouseButton.LeftButton)
    assert picker.value() == qv
    qtbot.mouseClick(picker.attention_button, Qt.MouseButton.LeftButton)
    assert picker.value() == attention
    qtbot.mouseClick(picker.linear_button, Qt.MouseButton.LeftButton)
    assert picker.value() == [n for n in modules if n != "lm_head"]
    with qtbot.waitSignal(picker.changed):
        picker.item("lm_head").setCheckState(Qt.CheckState.Checked)
    assert picker.value() == list(modules)


def test_targets_the_model_lacks_stay_checked_and_marked(qtbot):
    picker = TargetPicker()
    qtbot.addWidget(picker)
    with qtbot.assertNotEmitted(picker.changed):
        picker.set_value(["q_proj", "q"])
    assert picker.value() == ["q_proj", "q"]  # no module list yet: the configured names
    picker.set_modules(T5, output_layer="lm_head")
    assert picker.value() == ["q", "q_proj"]  # model order, then what the model lacks
    assert picker.missing_names() == ["q_proj"]
    item = picker.item("q_proj")
    assert item.checkState() == Qt.CheckState.Checked
    assert item.foreground().color().name() == "#c62828"
    assert "no module named 'q_proj'" in item.toolTip()
    assert "not in this model" in picker.summary.text()
    # 'all-linear' stays a string until the user changes the selection.
    picker.set_value("all-linear")
    assert picker.value() == "all-linear" and picker.checked_names() == list(T5)[:-1]
    picker.item("wo").setCheckState(Qt.CheckState.Unchecked)
    assert picker.value() == ["q", "k", "v", "o", "wi_0", "wi_1"]


def test_the_picker_offers_the_cached_models_after_the_first_frame(qtbot, tmp_path):
    from tests.hub_cache_layout import add_repo

    add_repo(tmp_path, "google/flan-t5-base", {"config.json": "{}"})
    add_repo(tmp_path, "gpt2", {"config.json": "{}"})
    add_repo(tmp_path, "org/no-config", {"tokenizer.json": "{}"})
    picker = ModelPicker(cache_dir=tmp_path)
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: picker.cached_ids() == ["google/flan-t5-base", "gpt2"], timeout=5000)
    with qtbot.waitSignal(picker.changed) as blocker:
        picker.combo.activated.emit(picker.combo.findText(DEMO_LABEL))
    assert picker.text() == str(demo_model_path()) and blocker.args == [str(demo_model_path())]
    picker.combo.activated.emit(picker.combo.findText("gpt2"))
    assert picker.text() == "gpt2"
    picker.combo.setEditText(DEMO_LABEL)  # as the completer's pop-up does
    qtbot.waitUntil(lambda: picker.text() == str(demo_model_path()), timeout=1000)


def test_browse_fills_a_path_relative_like_before(qtbot, form, tmp_path, monkeypatch):
    chosen = demo_config_path().parent.parent / "resources" / "demo" / "data" / "other.jsonl"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(chosen), "")))
    field = form.editor("data.val_path")
    with qtbot.waitSignal(form.edited):
        qtbot.mouseClick(field.browse_button, Qt.MouseButton.LeftButton)
    assert form.config().data.val_path == "../resources/demo/data/other.jsonl"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path)))
    form.editor("training.output_dir").setText(str(tmp_path / "old"))  # absolute stays absolute
    qtbot.mouseClick(form.editor("training.output_dir").browse_button, Qt.MouseButton.LeftButton)
    assert form.config().training.output_dir == str(tmp_path)


def test_a_fresh_form_edits_the_defaults(qtbot):
    form = ConfigForm()
    qtbot.addWidget(form)
    assert form.config().to_dict() == RunConfig().to_dict()
    assert isinstance(form.editor("model.type"), QComboBox)


@pytest.mark.parametrize("value", [0.0, 1.0, 100.0, 1e16, 1e22, 3e-5, 0.0003, 1.5e-7, 0.1, 2e-3, 123.456, -7.25, 5e-324,
                                   0.30000000000000004, 1.7976931348623157e308])
def test_decimals_needed_reads_the_shortest_repr_as_decimal_does(value):
    import decimal

    from igrag_gui.ui.train.form.editors import _decimals_needed

    exponent = decimal.Decimal(repr(value)).normalize().as_tuple().exponent
    assert _decimals_needed(value) == max(0, -exponent)

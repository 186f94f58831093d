"""The method selector in the Train tab: the chosen method's PEFT fields, tooltips from PEFT,
the live parameter count of that method, and the Copy command's --set method=NAME."""

from __future__ import annotations

from igrag_gui.core.methods import METHODS


def choose(tab, method: str) -> None:
    combo = tab.form.method_combo
    combo.setCurrentIndex(combo.findData(method))


def test_choosing_a_method_shows_its_fields_and_counts_it(window, qtbot):
    from igrag_gui.core.methods.params import count_parameters

    tab = window.train_tab
    qtbot.waitUntil(lambda: "/" in tab.stats_label.text(), timeout=60_000)
    lora_count = tab.stats_label.text()
    choose(tab, "prompt_tuning")
    groups = tab.form.groups
    assert not groups["prompt_tuning"].isHidden() and groups["lora"].isHidden()
    assert all(groups[m].isHidden() for m in METHODS if m != "prompt_tuning")
    tokens = tab.form.editor("prompt_tuning.num_virtual_tokens")
    assert tokens.toolTip().startswith("Number of virtual tokens")  # PEFT's own help text
    assert tab.form.editor("prompt_tuning.learning_rate").value() == 0.3
    tokens.setValue(8)
    cfg = tab.config()
    assert cfg.method == "prompt_tuning" and cfg.prompt_tuning.num_virtual_tokens == 8
    qtbot.waitUntil(lambda: tab.stats_label.text() not in (lora_count, "—", ""), timeout=60_000)
    stats = count_parameters(cfg)
    qtbot.waitUntil(lambda: tab.stats_label.text().startswith(f"{stats.trainable:,} / "), timeout=60_000)
    assert stats.trainable == 8 * 2 * 128  # encoder and decoder, d_model 128
    assert "--set method=prompt_tuning" in tab.copy_command("igrag")
    assert "--set 'prompt_tuning.num_virtual_tokens=8'" in tab.copy_command("igrag")


def test_targets_of_a_method_are_typed_as_a_list(window, qtbot):
    tab = window.train_tab
    choose(tab, "ia3")
    targets = tab.form.editor("ia3.target_modules")
    assert targets.text() == "" and "PEFT's default" in targets.placeholderText()
    targets.setText("[k, v, wo]")
    tab.form.editor("ia3.feedforward_modules").setText("[wo]")
    cfg = tab.config()
    assert (cfg.ia3.target_modules, cfg.ia3.feedforward_modules) == (["k", "v", "wo"], ["wo"])
    assert tab.start_button.isEnabled()
    targets.setText("[q_proj]")
    qtbot.waitUntil(lambda: not tab.start_button.isEnabled(), timeout=30_000)
    assert "the model has no module named 'q_proj'" in tab.form.message_label("ia3.target_modules").text()


def test_a_merged_model_is_offered_as_the_base_of_the_next_run(window, qtbot, tmp_path):
    """Playground -> Merge makes a model folder; prompt tuning on top of it starts from the form."""
    picker = window.train_tab.form.editor("model.base_model_path")
    folder = str(tmp_path / "demo-merged")
    picker.add_model_folder(folder)  # what the Playground's `merged` signal is connected to
    index = picker.combo.findData(folder)
    assert index >= 0 and picker.combo.itemText(index) == "Merged: demo-merged"
    picker.combo.activated.emit(index)
    assert picker.text() == folder and window.train_tab.config().model.base_model_path == folder


def test_the_training_learning_rate_is_lora_s_and_greys_out_for_other_methods(window):
    tab = window.train_tab
    lr = tab.form.editor("training.learning_rate")
    assert lr.isEnabled()
    choose(tab, "ia3")
    assert not lr.isEnabled() and tab.form.groups["ia3"].title() == "IA³"
    assert tab.config().learning_rate == tab.form.editor("ia3.learning_rate").value() == 3e-2
    choose(tab, "lora")
    assert lr.isEnabled() and tab.config().learning_rate == lr.value()


def test_a_method_s_group_is_built_when_first_shown_with_the_config_s_values(qtbot, make_config):
    """65 of the form's 105 fields sit in other methods' groups: start-up builds none of them,
    and a group built later shows the config's values and its problems as if it had been there."""
    from igrag_gui.core.config import Problem, load_config
    from igrag_gui.ui.train.form.config_form import ConfigForm

    cfg, _ = load_config(make_config(raw="method: lora\nia3:\n  learning_rate: 0.05\n"
                                          "prefix_tuning:\n  num_virtual_tokens: 7\n"))
    form = ConfigForm()
    qtbot.addWidget(form)
    form.set_config(cfg)
    built = [m for m in METHODS if form.groups.is_built(m)]
    assert built == ["lora"]
    form.set_problems([Problem("adalora.init_r", "must be at least 1")])  # a hidden group's field
    assert form.groups.is_built("adalora") and form.groups["adalora"].isHidden()
    assert form.message_label("adalora.init_r").text() == "must be at least 1"
    combo = form.method_combo
    combo.setCurrentIndex(combo.findData("ia3"))
    assert not form.groups["ia3"].isHidden() and form.editor("ia3.learning_rate").value() == 0.05
    assert form.editor("prefix_tuning.num_virtual_tokens").value() == 7  # looked up: built, hidden
    assert form.groups["prefix_tuning"].isHidden() and form.edited_keys() == ["method"]
    layout_order = [form.method_panel.layout().itemAt(i).widget() for i in range(form.method_panel.layout().count())]
    groups_in_order = [w for w in layout_order if w in {form.groups[m] for m in METHODS if form.groups.is_built(m)}]
    assert groups_in_order == [form.groups[m] for m in ["lora", *[m for m in METHODS if m != "lora"]]
                               if form.groups.is_built(m)]
    assert form.config().ia3.learning_rate == 0.05 and form.config().method == "ia3"


def test_adapter_tuning_shows_its_fields_and_counts_it_exactly(window, qtbot):
    """Bottleneck adapters (ours, not PEFT's): placement, reduction factor, non-linearity, ... in
    the form, and the live count equals what training reports (10,920 pfeiffer; 21,840 houlsby,
    as AdapterHub 1.3.0 counts them: scripts/adapterhub_crosscheck.py)."""
    tab = window.train_tab
    qtbot.waitUntil(lambda: "/" in tab.stats_label.text(), timeout=60_000)
    choose(tab, "adapter")
    groups = tab.form.groups
    assert not groups["adapter"].isHidden() and groups["lora"].isHidden()
    for name in ("placement", "reduction_factor", "bottleneck_size", "non_linearity", "scaling",
                 "residual_before_ln", "ln_before", "ln_after", "cross_adapter", "stacks", "learning_rate"):
        assert tab.form.editor(f"adapter.{name}") is not None
    assert tab.form.editor("adapter.placement").toolTip().startswith("Where the adapters sit: 'houlsby' (Houlsby")
    qtbot.waitUntil(lambda: tab.stats_label.text().startswith("10,920 / "), timeout=60_000)
    placement = tab.form.editor("adapter.placement")
    placement.setCurrentIndex(placement.findText("houlsby"))
    cfg = tab.config()
    assert cfg.method == "adapter" and cfg.adapter.placement == "houlsby"
    qtbot.waitUntil(lambda: tab.stats_label.text().startswith("21,840 / "), timeout=60_000)
    assert "--set method=adapter" in tab.copy_command("igrag")

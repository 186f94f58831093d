"""The Playground's base model: what a base name opens, and the exact refusals before anything loads."""

from __future__ import annotations

import pytest

from igrag_gui.core.errors import UserError
from igrag_gui.core.playground import Session
from igrag_gui.resources import demo_model_path


def test_a_missing_base_model_is_named(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(UserError) as caught:
        Session.load(str(missing))
    assert str(caught.value) == (f"base model '{missing}' not found: there is no folder '{missing}'; give a "
                                 f"model folder (with config.json), a Hugging Face id from the local cache, "
                                 f"or 'demo' for the demo model")
    with pytest.raises(UserError) as caught:
        Session.load(str(tmp_path))
    assert str(caught.value) == (f"'{tmp_path}' has no config.json, so it is not a Hugging Face model "
                                 f"folder; choose the folder that holds config.json and the weights")
    with pytest.raises(UserError) as caught:
        Session.load("nobody/not-cached-t5")
    assert str(caught.value) == ("base model 'nobody/not-cached-t5' is not in the local Hugging Face cache "
                                 "and the hub cannot be reached; on a machine with internet run `hf download "
                                 "nobody/not-cached-t5`, or give a local model folder")


def test_demo_names_the_folder_its_client_passes_and_nothing_without_one(tmp_path):
    from igrag_gui.core.playground.session import resolve_base

    assert resolve_base("demo", demo_model_path()).folder == demo_model_path().resolve()
    with pytest.raises(UserError) as caught:
        resolve_base("demo")
    assert str(caught.value) == ("'demo' names the app's demo model, which is not offered here; give a model "
                                 "folder or a Hugging Face id")

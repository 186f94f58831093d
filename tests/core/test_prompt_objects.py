"""The objects a user types into the IGRAG prompt builder, one per line."""

from __future__ import annotations

from igrag_gui.core.data.prompts import DetectedObject, parse_objects


def test_a_label_a_box_or_a_position_in_words():
    text = "cat\n\n  bus 0.4 0.4 0.2 0.2 \ntraffic light 0 0 0.2 0.2\nfrisbee, top right\n"
    assert parse_objects(text) == [DetectedObject("cat"), DetectedObject("bus", "center"),
                                   DetectedObject("traffic light", "top left"),
                                   DetectedObject("frisbee", "top right")]


def test_numbers_that_are_not_a_box_stay_in_the_label():
    assert parse_objects("route 66\nbox 1 2 3") == [DetectedObject("route 66"), DetectedObject("box 1 2 3")]


def test_nothing_typed_is_no_objects():
    assert parse_objects("") == [] and parse_objects("\n  \n") == []

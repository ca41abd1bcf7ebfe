"""FusionBoard logic: derived prompt and placement preview (toolkit/widgets/logic/placement.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from toolkit.simulator import edits as sim_edits
from toolkit.widgets.logic import placement


def test_fusion_prompt_reflects_position_scale_and_extra():
    a = placement.fusion_prompt(2, "bottom centre", 0.5, 0.75, 0.35)
    assert a.startswith("Place the object from image 2 into the scene from image 1, at the bottom centre of the "
                        "scene (centred about 50% of the way across and 75% of the way down the scene), scaled so "
                        "that it is about 35% of the scene's height.")
    assert placement.fusion_prompt(2, "left", 0.22, 0.6, 0.35) != a
    assert "about 60%" in placement.fusion_prompt(2, "bottom centre", 0.5, 0.75, 0.6)
    custom = placement.fusion_prompt(2, placement.CUSTOM_POSITION, 0.1, 0.2, 0.3)
    assert ", centred about 10% of the way across and 20% of the way down the scene," in custom
    assert placement.fusion_prompt(4, "top", 0.5, 0.25, 0.2).startswith(
        "Place the objects from images 2, 3 and 4 into the scene from image 1, at the top")
    assert "each about 20%" in placement.fusion_prompt(3, "top", 0.5, 0.25, 0.2)
    assert placement.fusion_prompt(2, "top", 0.5, 0.25, 0.2, "  make it evening ").endswith(" make it evening.")
    assert placement.fusion_prompt(2, "top", 0.5, 0.25, 0.2, "Make it evening!").endswith(" Make it evening!")


@pytest.mark.parametrize("position", [*placement.POSITIONS, placement.CUSTOM_POSITION])
def test_fusion_prompt_adds_no_looks_in_the_simulator(position):
    # Only the user's extra text should restyle the offline composite.
    x, y = placement.POSITIONS.get(position, (0.3, 0.3))
    assert not sim_edits.parse_instruction(placement.fusion_prompt(3, position, x, y, 0.4)).ops


def test_placement_preview_draws_the_object_where_asked():
    scene = Image.new("RGB", (400, 200), "white")
    obj = Image.new("RGB", (50, 100), (0, 0, 255))
    out = placement.placement_preview(scene, [obj], 0.25, 0.5, 0.5, max_side=400)
    assert out.size == (400, 200)
    assert out.getpixel((100, 100)) == (0, 0, 255)   # the object's box centre
    assert out.getpixel((300, 100)) == (255, 255, 255)
    two = placement.placement_preview(scene, [obj, obj], 0.5, 0.5, 0.5, max_side=400)
    assert two.getpixel((200, 100)) != (0, 0, 255)  # a gap between the two objects at the centre

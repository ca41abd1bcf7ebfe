"""The pack every test of this folder starts from: a short instructor session recorded on the loopback fake."""

from __future__ import annotations

import pytest
from pack_helpers import record


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("instructor")
    pack = root / "workshop.pack"
    record(root / "home", pack)
    return pack

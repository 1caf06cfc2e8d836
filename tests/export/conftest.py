"""Two real checks recorded in a history index, shared by the module that asks for them."""

from __future__ import annotations

import pytest
from recorded_checks import Recorded, record_two_checks


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    return record_two_checks(tmp_path_factory.mktemp("recorded"))

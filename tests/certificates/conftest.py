import os
from pathlib import Path

import pytest

from workshop.certificates import fonts


@pytest.fixture(scope="session", autouse=True)
def certificate_fonts() -> Path:
    """The static fonts in the tests' shared cache (tests/conftest.py), made as a served process makes them before
    listening: requests never make one (a missing one is a 503). Made once, kept between runs."""
    folder = fonts.cache_folder(os.environ["WORKSHOP_CERTIFICATE_FONT_CACHE"])
    fonts.prepare_all(folder)
    return folder

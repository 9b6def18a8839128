"""Every lab's steps still work against the current code (what `make lab-check` runs)."""
import glob
import os

import pytest

from labs.check import LABS, check

NUMBERS = [os.path.basename(p)[:2] for p in sorted(glob.glob(os.path.join(LABS, "[0-9]*.md")))]


@pytest.mark.parametrize("number", NUMBERS)
def test_lab_steps_still_work(number):
    problems = check(number)
    assert not problems, "\n".join(problems)

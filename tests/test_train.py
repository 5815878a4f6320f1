"""Does the reference network reach the accuracy the homework promises?"""

import pytest

from autograder.train import train


@pytest.mark.slow
def test_reference_784_196_1_reaches_94_percent_on_5_vs_8(course, tmp_path):
    result = train(course, (784, 196, 1), 0.1, 1000, 1, plot=tmp_path / "cost.png")
    assert result["train_examples"] == 1000 and result["test_examples"] == 1866
    assert result["test_accuracy"] >= 0.94
    assert (tmp_path / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

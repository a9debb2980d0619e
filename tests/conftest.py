"""Shared test configuration.

Hypothesis profiles: "ci" (few examples, no deadline, derandomized: fast, steady
and reproducible on a shared runner) and "dev" (the default, more examples). Choose one with the
environment variable HYPOTHESIS_PROFILE, e.g. `HYPOTHESIS_PROFILE=ci pytest`.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=30, deadline=None, print_blob=True, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: takes seconds (e.g. a million-node graph); still part of the default run")


@pytest.fixture
def one_torch_thread():
    """Run a test with one torch thread: tiny tensors, and extra threads only spin on a busy machine."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

import pytest

from ptycho import params


@pytest.fixture(autouse=True)
def fresh_cfg():
    # params.cfg is process-global on purpose (it is the legacy design under test); tests must
    # not see each other's leftovers
    params.reset()
    yield
    params.reset()

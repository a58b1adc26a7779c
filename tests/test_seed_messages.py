"""set_seed's own messages (mutation record: numpy's ValueError alone also matched the old test)."""

import pytest

from utils.seed import set_seed


@pytest.mark.parametrize("seed", [2**32, 2**32 + 1, 3**32 - 1])
def test_too_large_seeds_are_refused_by_set_seed_itself(seed):
    with pytest.raises(ValueError, match=rf"what NumPy accepts\), got {seed}$"):
        set_seed(seed)


@pytest.mark.parametrize(("seed", "name"), [(1.5, "float"), (True, "bool"), ("3", "str")])
def test_the_type_error_names_the_type_given(seed, name):
    with pytest.raises(TypeError, match=f"expected seed to be an int, got {name}$"):
        set_seed(seed)  # type: ignore[arg-type]

import jax
import pytest

# Catch (n,) versus (n, 1) mistakes in the JAX core: implicit rank promotion
# raises instead of silently broadcasting.
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def pyplot():
    """matplotlib.pyplot with the Agg backend; closes every figure afterwards."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")

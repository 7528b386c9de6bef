"""
How the number of members changes the prediction
================================================

Member ``m`` of an ensemble is the same network whatever ``n_estimators`` is,
so growing ``M`` only adds members. With ``M=1`` there is no epistemic
uncertainty at all; as ``M`` grows the mixture mean smooths and the epistemic
part, the members' disagreement, fills the region without data.
"""

import matplotlib.pyplot as plt
import numpy as np

from skdeepens import DeepEnsembleRegressor
from skdeepens.datasets import make_cubic
from skdeepens.plotting import RegressionUncertaintyDisplay

X, y = make_cubic(n_samples=40, random_state=0)
grid = np.linspace(-6, 6, 200)
sizes = [1, 3, 8]

fig, axes = plt.subplots(2, len(sizes), figsize=(13, 7), sharex=True)
for col, m in enumerate(sizes):
    reg = DeepEnsembleRegressor(
        n_estimators=m,
        learning_rate_init=1e-2,
        max_iter=200,
        n_iter_no_change=np.inf,
        early_stopping=False,
        random_state=0,
    ).fit(X, y)
    disp = RegressionUncertaintyDisplay.from_estimator(
        reg,
        X,
        y,
        grid=grid,
        ground_truth=lambda x: x**3,
        members=True,
        ax=axes[0, col],
        legend=col == 0,
    )
    disp.ax_.set_ylim(-250, 250)
    disp.ax_.set_title(f"M={m}: mean, ±2 std and the members")
    disp.plot(ax=axes[1, col], kind="std", legend=col == 0)
    axes[1, col].set_ylim(0, 60)
    axes[1, col].set_title(f"M={m}: standard deviations")
fig.tight_layout()

# %%
# The aleatoric part (orange) barely changes with ``M``: each member learns the
# noise of the data. The epistemic part (green) is zero for one network and,
# outside ``[-4, 4]``, grows with the spread of the members' extrapolations.
# Its estimate is a variance over ``M`` members, so it is noisy for small
# ``M``; five to ten members are usually enough.

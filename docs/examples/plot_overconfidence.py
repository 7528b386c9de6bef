"""
Where the ensemble is overconfident
===================================

A calibrated model's 90% intervals hold 90% of new targets. We check the
coverage of the ensemble's exact mixture intervals on fresh points inside the
training range (``|x| <= 4``) and outside it (``4 < |x| <= 6``).
"""

import matplotlib.pyplot as plt
import numpy as np

from skdeepens import DeepEnsembleRegressor
from skdeepens.datasets import make_cubic
from skdeepens.plotting import RegressionCalibrationDisplay

X, y = make_cubic(n_samples=40, random_state=0)
reg = DeepEnsembleRegressor(
    n_estimators=5,
    learning_rate_init=1e-2,
    max_iter=200,
    n_iter_no_change=np.inf,
    early_stopping=False,
    random_state=0,
).fit(X, y)

X_in, y_in = make_cubic(n_samples=1000, random_state=1)
X_out, y_out = make_cubic(n_samples=1000, x_range=(4, 6), random_state=2)
flip = np.arange(1000) % 2 == 1  # half of the outside points on the left
X_out[flip], y_out[flip] = -X_out[flip], -y_out[flip]

fig, axes = plt.subplots(1, 2, figsize=(11, 5))
RegressionCalibrationDisplay.from_estimator(reg, X_in, y_in, name="inside", ax=axes[0])
RegressionCalibrationDisplay.from_estimator(
    reg, X_out, y_out, name="outside", ax=axes[0]
)
axes[0].set_title("Interval coverage, M=5")

# The coverage of the 95% interval along x, in windows of test points.
X_all = np.concatenate([X_in, X_out])[:, 0]
y_all = np.concatenate([y_in, y_out])
lower, upper = reg.predict_dist(X_all[:, None]).interval(0.95)
inside = (y_all >= lower) & (y_all <= upper)
edges = np.linspace(-6, 6, 25)
which = np.digitize(X_all, edges) - 1
coverage = [inside[which == b].mean() for b in range(len(edges) - 1)]
axes[1].step(edges[:-1], coverage, where="post")
axes[1].axhline(0.95, color="0.5", linestyle=":")
axes[1].axvspan(-6, -4, color="0.9")
axes[1].axvspan(4, 6, color="0.9")
axes[1].set(xlabel="x", ylabel="coverage of the 95% interval", ylim=(0, 1.05))
axes[1].set_title("Coverage along x (grey: no training data)")
fig.tight_layout()

# %%
# Even inside the data the intervals are somewhat too narrow: 40 points and
# 200 epochs leave the learned noise slightly small. Outside, the true
# function keeps curving while every member extrapolates almost linearly:
# they disagree, so the band widens, but not nearly as fast as the error
# grows. The ensemble is overconfident far from the data, most on the side
# where its members happen to agree: epistemic uncertainty from a handful of
# networks is a lower bound on what the model does not know.

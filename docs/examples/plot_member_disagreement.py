"""
Where the members disagree most, and why
========================================

On the three-class spirals, an ensemble of four networks with adversarial
training. The total uncertainty (entropy of the averaged probabilities)
splits into the data (aleatoric) part, the members' average entropy, and the
knowledge (epistemic) part, their Jensen-Shannon divergence.
"""

import matplotlib.pyplot as plt
import numpy as np

from skdeepens import DeepEnsembleClassifier
from skdeepens.datasets import make_spirals
from skdeepens.plotting import ClassificationUncertaintyDisplay, LossCurveDisplay

X, y = make_spirals(n_samples_per_class=200, random_state=0)
clf = DeepEnsembleClassifier(
    n_estimators=4,
    hidden_layer_sizes=(64, 64),
    adversarial_epsilon=0.01,
    learning_rate_init=1e-2,
    max_iter=100,
    n_iter_no_change=np.inf,
    early_stopping=False,
    random_state=0,
).fit(X, y)

disp = ClassificationUncertaintyDisplay.from_estimator(
    clf, X, y, grid_resolution=120, margin=0.4
)

# %%
# The training curves: every member runs the same fixed schedule.
LossCurveDisplay.from_estimator(clf)

# %%
# The epistemic part against the distance to the nearest training point.
xx0, xx1 = disp.xx0.ravel(), disp.xx1.ravel()
distance = np.min(
    np.hypot(xx0[:, None] - X[None, :, 0], xx1[:, None] - X[None, :, 1]), axis=1
)
fig, ax = plt.subplots()
ax.scatter(distance, disp.epistemic.ravel(), s=2, alpha=0.3)
ax.set(xlabel="distance to the nearest training point", ylabel="epistemic (nats)")

# %%
# The data uncertainty lies on the boundaries between the arms, where the
# classes overlap: more data would not remove it. The members disagree most
# away from the data, at the corners and between the outer arms, where each
# network extends its decision boundaries its own way; there the knowledge
# uncertainty grows with the distance to the training points. It stops
# growing one standard deviation past the range of each input, where the
# inputs are clipped: the maps are constant across the outer band of the grid
# (the straight stripes at the corners), and the points far from the data
# form the flat streaks on the right of the scatter plot.

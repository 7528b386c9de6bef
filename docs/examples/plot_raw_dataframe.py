"""
A raw DataFrame: strings, categories and missing values, no preprocessing
=========================================================================

:class:`~skdeepens.DeepEnsembleClassifier` takes a table as it comes, as
scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier` does:
string and ``category`` columns are encoded inside the estimator, and a
missing number is imputed with a missing-value indicator. We turn
scikit-learn's diabetes data (442 patients) into such a table, fit the
default classifier on it directly, compare it with gradient-boosted trees on
the same table, and look at what the ensemble says about patients unlike any
it was trained on.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

from skdeepens import DeepEnsembleClassifier
from skdeepens.metrics import expected_calibration_error
from skdeepens.plotting import ClassificationCalibrationDisplay

# %%
# A table as it comes
# -------------------
# The unscaled measurements, with the sex as strings, the age as a band (a
# pandas category) and one body-mass index in ten missing. The label: a
# disease progression above the median a year later.

data = load_diabetes(as_frame=True, scaled=False)
frame = data.frame.drop(columns=["target", "age"])
frame["sex"] = frame["sex"].map({1.0: "sex 1", 2.0: "sex 2"})
bands = ["under 30", "30-44", "45-59", "60 and over"]
frame["age band"] = pd.cut(
    data.frame["age"], [0, 30, 45, 60, 120], right=False, labels=bands
)
rng = np.random.default_rng(0)
frame.loc[rng.random(len(frame)) < 0.1, "bmi"] = np.nan
label = np.where(data.target > np.median(data.target), "high", "low")
print(frame.head())

X_train, X_test, y_train, y_test = train_test_split(
    frame, label, test_size=0.3, stratify=label, random_state=0
)

# %%
# Fit on the frame itself
# -----------------------
# ``categorical_features="from_dtype"`` (the default) takes the string and
# category columns; every other column is numeric. The classifier's
# temperature is fitted on held-out rows (``calibration="temperature"``).

clf = DeepEnsembleClassifier(random_state=0).fit(X_train, y_train)
# HistGradientBoosting takes category columns (not strings) from the dtype.
trees = HistGradientBoostingClassifier(categorical_features="from_dtype")
trees.fit(X_train.astype({"sex": "category"}), y_train)

for name, proba in (
    ("deep ensemble", clf.predict_proba(X_test)),
    ("gradient-boosted trees", trees.predict_proba(X_test.astype({"sex": "category"}))),
):
    print(
        f"{name:>22}: log loss {log_loss(y_test, proba):.3f}, "
        f"ECE {expected_calibration_error(y_test, proba, classes=clf.classes_):.3f}, "
        f"accuracy {accuracy_score(y_test, clf.classes_[proba.argmax(1)]):.3f}"
    )

# %%
# Patients unlike the training ones
# ---------------------------------
# The same test patients three ways: with their body-mass index missing
# (imputed, and flagged by the indicator), in an age band no training patient
# was in (the column's "unknown" code, which the members learnt from a share
# of the training rows), and with every measurement four times its training
# maximum. ``predict_uncertainty`` splits each prediction's entropy into the
# aleatoric part (the members' own) and the epistemic part (their
# disagreement).

numeric = X_test.select_dtypes("number").columns
variants = {
    "as they are": X_test,
    "BMI missing": X_test.assign(bmi=np.nan),
    "unseen age band": X_test.assign(
        **{"age band": pd.Categorical(["over 100"] * len(X_test))}
    ),
    "4 x the training maximum": X_test.assign(
        **{c: 4 * X_train[c].max() for c in numeric}
    ),
}

# %%
# Every input is clipped to its training range widened by one standard
# deviation, so four times the training maximum reaches the plain members as
# a value one standard deviation past the data. There their ReLU networks,
# which grow linearly away from the data, are still sure of themselves: the
# probabilities are near 0 or 1 (a small aleatoric part), and the members
# disagree barely more than on the data. With
# ``numeric_embedding="periodic"`` each number reaches the members as learned
# periodic features, bounded and different in each member, so far rows get
# neither extreme probabilities nor agreement.

periodic = DeepEnsembleClassifier(numeric_embedding="periodic", random_state=0)
periodic.fit(X_train, y_train)
proba = periodic.predict_proba(X_test)
print(
    f"periodic embedding: log loss {log_loss(y_test, proba):.3f}, "
    f"accuracy {accuracy_score(y_test, periodic.classes_[proba.argmax(1)]):.3f}"
)
models = {"plain members": clf, 'numeric_embedding="periodic"': periodic}
parts = {
    (model, what): estimator.predict_uncertainty(rows)
    for model, estimator in models.items()
    for what, rows in variants.items()
}
for (model, what), part in parts.items():
    print(
        f"{model:>28}, {what:>24}: aleatoric {part.aleatoric.mean():.3f}, "
        f"epistemic {part.epistemic.mean():.3f} nats"
    )

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
ClassificationCalibrationDisplay.from_estimator(
    clf, X_test, y_test, n_bins=15, name="deep ensemble", ax=axes[0]
)
axes[0].set_title("Reliability on the test patients (plain members)")
positions = np.arange(len(variants))
for offset, model in zip((-0.2, 0.2), models):
    bars = axes[1].bar(
        positions + offset,
        [parts[model, what].epistemic.mean() for what in variants],
        width=0.4,
        label=model,
    )
    axes[1].bar_label(bars, fmt="%.3f", fontsize="small")
axes[1].set_xticks(positions, [what.replace(" x ", " x\n") for what in variants])
axes[1].set(
    ylabel="mean epistemic part (nats)",
    title="Disagreement of the members on the test patients",
)
axes[1].legend()
plt.show()

# %%
# A missing body-mass index or an unseen age band barely moves the
# uncertainty: the members learnt what to do with both. Far outside the
# training range the plain members nearly agree, and the periodic embedding's
# members disagree three times as much as on the data: they tell these patients
# from the others best.

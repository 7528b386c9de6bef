"""The rows that monitor early stopping and fit the recalibration.

A fit holds rows out of its training data, or takes the validation set the
user passes (``X_val``, ``y_val``, ``sample_weight_val``), for two purposes:
early stopping and the recalibration. With both, the regressor gives each
purpose rows of its own, while the classifier's one temperature reuses the
early-stopping rows (see ``_RECALIBRATES_ON_STOPPING_ROWS``). The mixin below
is the one home of that rule; the random splits themselves are the pure
functions of :mod:`._members`.
"""

from .. import _validation
from ._members import _given_validation_split, _held_out_split


class _HeldOutRowsMixin:
    """Held-out and given validation rows of a fit (mixed into the estimators)."""

    # Whether the recalibration is fitted on the early-stopping rows rather than
    # on a half of the held-out rows of its own. The regressor's per-member
    # scale factors need their own rows: fitted on the rows that chose each
    # member's best epoch, they inherit the optimism of that choice and shrink
    # the intervals. The classifier's one temperature reuses them: halving the
    # rows that choose the epochs cost more log loss than the temperature won
    # (benchmarks/classifier_calibration.py, in the user guide).
    _RECALIBRATES_ON_STOPPING_ROWS = False

    def _validate_validation_set(
        self, X_val, y_val, sample_weight_val, targets, target_state
    ):
        """The checked validation set ``(X_val, targets_val, weights_val)``, or None.

        ``X_val`` is validated as predict validates X (``reset=False``): the
        features, their names and their order are those the training data
        just set. Its targets go through the estimator's
        ``_validate_validation_targets`` hook, against the training
        ``targets`` and ``target_state`` (the classes). As in
        scikit-learn's HistGradientBoosting, a validation set that nothing
        in the fit would use is an error rather than silently ignored.
        """
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError(
                    "sample_weight_val is given without a validation set; pass "
                    "X_val and y_val with it, or drop it"
                )
            return None
        if y_val is None:
            raise ValueError("X_val is given, but y_val is not; pass both or neither")
        if X_val is None:
            raise ValueError("y_val is given, but X_val is not; pass both or neither")
        if not any(self._held_out_uses().values()):
            recalibration = (
                ", and no recalibration" if "calibration" in self.get_params() else ""
            )
            raise ValueError(
                "X_val and y_val are given, but this fit uses no validation set "
                f"(early_stopping=False{recalibration}). Set early_stopping=True "
                "for the validation set to monitor early stopping, or drop X_val "
                "and y_val."
            )
        try:
            X_val, y_val = self._validated_encoded(
                X_val,
                y_val,
                input_name="X_val",
                ensure_min_samples=1,
                **self._validate_data_kwargs,
            )
        except ValueError as exc:
            raise ValueError(f"Invalid validation set X_val, y_val: {exc}") from exc
        targets_val = self._validate_validation_targets(y_val, targets, target_state)
        sample_weight_val = _validation.check_sample_weight(
            sample_weight_val, len(X_val), training=True, name="sample_weight_val"
        )
        _validation.check_magnitude(X_val, "X_val")
        return X_val, targets_val, sample_weight_val

    def _held_out_uses(self):
        """Which purposes the held-out rows serve in this fit."""
        return {
            "early_stopping": self.early_stopping,
            "calibration": self._calibrates(),
        }

    def _purposes_with_own_rows(self):
        """The purposes of this fit that each take their own share of the rows."""
        uses = self._held_out_uses()
        if self._RECALIBRATES_ON_STOPPING_ROWS and all(uses.values()):
            return ["early_stopping"]
        return [name for name, used in uses.items() if used]

    def _validation_split(self, sample_weight, stratify):
        """Training and held-out row indices (every held-out row, both halves)."""
        return _held_out_split(
            sample_weight,
            stratify,
            seed=self._seed,
            validation_fraction=self.validation_fraction,
            purposes=self._purposes_with_own_rows(),
        )

    def _held_out_rows(self, arrays, stratify, held_out=None):
        """Training, early-stopping and calibration rows (None where unused).

        The training rows are taken from ``arrays``, the held-out ones from
        ``held_out`` (the same rows as they came, without the unknown
        category codes dealt out for training; default: ``arrays``).

        The held-out rows monitor early stopping and fit the recalibration.
        With both, each gets its own half (at least one row each), unless the
        recalibration reuses the early-stopping rows
        (``_RECALIBRATES_ON_STOPPING_ROWS``).
        """
        uses = self._held_out_uses()
        if not any(uses.values()):
            return arrays, None, None
        train_idx, val_idx = self._validation_split(arrays[2], stratify)
        if len(self._purposes_with_own_rows()) == 2:
            # train_test_split returns the rows in random order.
            stopping_idx, calibration_idx = val_idx[::2], val_idx[1::2]
        else:
            stopping_idx = calibration_idx = val_idx

        held_out = arrays if held_out is None else held_out

        def rows(source, idx, used=True):
            return tuple(a[idx] for a in source) if used else None

        return (
            rows(arrays, train_idx),
            rows(held_out, stopping_idx, uses["early_stopping"]),
            rows(held_out, calibration_idx, uses["calibration"]),
        )

    def _given_rows(self, arrays):
        """Early-stopping and calibration rows of a given validation set.

        The validation set takes the place of the rows held out of the
        training data, on the same rule: with both early stopping and
        calibration, each gets its own half of it (see :meth:`_held_out_rows`);
        with one, or when the recalibration reuses the early-stopping rows,
        all of it.
        """
        purposes = self._purposes_with_own_rows()
        parts = _given_validation_split(arrays[2], seed=self._seed, purposes=purposes)
        rows = dict(zip(purposes, (tuple(a[idx] for a in arrays) for idx in parts)))
        if self._RECALIBRATES_ON_STOPPING_ROWS and self._calibrates():
            rows.setdefault("calibration", rows.get("early_stopping"))
        return rows.get("early_stopping"), rows.get("calibration")

"""How a fit's rows and members sit on the device(s).

The shapes the compiled trainer sees depend on the number of rows only through
power-of-two buckets, so cross-validation folds, refits and clones reuse one
compilation. :func:`plan_layout` is the one place that turns a data size and a
requested batch size into those buckets and into the counts the program
traces (rows, rows per batch, steps per epoch); the estimator asks it for the
steps per epoch its automatic patience needs, and hands the same record to
:func:`skdeepens._core.training.fit_ensemble`.

The members' axis is laid out here too: on several local devices it is
sharded over them, padded with frozen copies of member 0 to a multiple of
their number.
"""

from typing import NamedTuple

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

# A compiled call runs whole epochs until it holds at least this many steps:
# enough that the per-call host work (drawing orders, one dispatch, reading the
# curves back) is small next to the steps, few enough that ``verbose`` output
# and ``max_iter`` stay responsive.
_TARGET_STEPS_PER_CALL = 1024
# Largest number of epochs in one call (bounds the host-drawn order array).
_MAX_EPOCHS_PER_CALL = 256
# Rows per chunk of a full pass (validation loss, initial loss): bounds the
# memory of the hidden activations whatever the data size. The device arrays
# hold at least this many rows, so every data set up to it shares one program.
EVAL_CHUNK = 1024
# The validation set is visited every epoch, so its arrays are padded only to
# a power of two of at least this many rows, not to a whole chunk: on small
# data a full chunk of padding made the validation pass most of an epoch's
# time. Sets of up to this many rows share one program.
_MIN_VALIDATION_ROWS = 32


class Layout(NamedTuple):
    """Where a fit's rows go: the sizes of its device arrays and its counts.

    Attributes
    ----------
    n_rows : int
        Training rows (the rest of the padded arrays is padding).
    batch_rows : int
        Rows per batch: the requested batch size, at most ``n_rows``.
    width : int
        The batch width the program is compiled for, at least ``batch_rows``
        (the extra slots are masked out).
    steps_per_epoch : int
        Optimiser steps in one epoch; the last batch may be short.
    padded_rows : int
        Rows of the padded training arrays.
    n_validation_rows : int
        Validation rows (0: no validation set).
    padded_validation_rows : int
        Rows of the padded validation arrays (a one-row placeholder's when
        there is no validation set).
    epochs_per_call : int
        Epochs one compiled call may run.
    """

    n_rows: int
    batch_rows: int
    width: int
    steps_per_epoch: int
    padded_rows: int
    n_validation_rows: int
    padded_validation_rows: int
    epochs_per_call: int


def ceil_div(a, b):
    """``ceil(a / b)`` for non-negative integers (Python, NumPy or traced JAX)."""
    return -(-a // b)


def check_layout(layout, train, validation):
    """Raise unless ``layout`` is the layout of these training and validation rows."""
    n_validation = 0 if validation is None else len(validation[0])
    if (layout.n_rows, layout.n_validation_rows) != (len(train[0]), n_validation):
        raise ValueError(
            f"the layout is of {layout.n_rows} training and "
            f"{layout.n_validation_rows} validation rows; got {len(train[0])} "
            f"and {n_validation}. Plan it with plan_layout from these arrays."
        )


def _next_power_of_two(n):
    return 1 << max(int(n) - 1, 0).bit_length()


def padded_rows(n_rows, minimum=EVAL_CHUNK):
    """Rows the device arrays are padded to: a power of two, at least ``minimum``.

    Buckets of powers of two keep the number of compiled shapes small (folds of
    similar size share one; every data set up to ``minimum`` rows shares one),
    and past ``EVAL_CHUNK`` they are whole chunks, as the chunked full passes
    need.
    """
    return max(_next_power_of_two(n_rows), minimum)


def epochs_per_call(steps_per_epoch):
    """Epochs in one compiled call: at least ``_TARGET_STEPS_PER_CALL`` steps.

    A power of two, so that similar data sizes share the compiled program.
    """
    wanted = ceil_div(_TARGET_STEPS_PER_CALL, max(steps_per_epoch, 1))
    return min(_next_power_of_two(wanted), _MAX_EPOCHS_PER_CALL)


def plan_layout(n_rows, batch_size, n_validation_rows=0):
    """The layout of a fit of ``n_rows`` rows in batches of ``batch_size``.

    Parameters
    ----------
    n_rows : int
        Training rows, at least 1.
    batch_size : int
        Requested rows per batch, at least 1; clipped to ``n_rows``.
    n_validation_rows : int, default=0
        Rows of the validation set (0: none).

    Returns
    -------
    layout : Layout

    Examples
    --------
    >>> plan_layout(10, 4)
    Layout(n_rows=10, batch_rows=4, width=4, steps_per_epoch=3, padded_rows=1024, \
n_validation_rows=0, padded_validation_rows=32, epochs_per_call=256)
    """
    n_rows, batch_size = int(n_rows), int(batch_size)
    if n_rows < 1 or batch_size < 1:
        raise ValueError(
            f"a layout needs at least one row and one row per batch; got "
            f"n_rows={n_rows}, batch_size={batch_size}"
        )
    batch_rows = min(batch_size, n_rows)
    steps = ceil_div(n_rows, batch_rows)
    return Layout(
        n_rows=n_rows,
        batch_rows=batch_rows,
        # Rounding a small data set's width up to a power of two keeps the
        # number of compiled shapes small without padding every batch to
        # batch_size rows.
        width=min(batch_size, _next_power_of_two(n_rows)),
        steps_per_epoch=steps,
        padded_rows=padded_rows(n_rows),
        n_validation_rows=int(n_validation_rows),
        padded_validation_rows=padded_rows(n_validation_rows, _MIN_VALIDATION_ROWS),
        epochs_per_call=epochs_per_call(steps),
    )


def pad_rows(array, n_rows):
    """Pad the leading (row) axis with zeros to ``n_rows`` rows."""
    pad = [(0, n_rows - array.shape[0])] + [(0, 0)] * (array.ndim - 1)
    return np.pad(array, pad)


def member_sharding(n_members):
    """How to place the member axis: over every local device, or ``None``."""
    devices = jax.local_devices()
    if len(devices) < 2:
        return None, n_members
    padded = ceil_div(n_members, len(devices)) * len(devices)
    mesh = Mesh(np.array(devices), ("members",))
    return mesh, padded


def place(tree, mesh, member_axis):
    """Put a tree on the device(s): sharded on ``member_axis``, or replicated."""
    if mesh is None:
        return jax.device_put(tree)

    def put(leaf):
        spec = [None] * np.ndim(leaf)
        if member_axis is not None:
            spec[member_axis] = "members"
        return jax.device_put(leaf, NamedSharding(mesh, PartitionSpec(*spec)))

    return jax.tree_util.tree_map(put, tree)


def pad_members(tree, n_padded):
    """Pad the leading member axis with copies of member 0 (kept frozen)."""

    def pad(leaf):
        leaf = np.asarray(leaf)
        extra = n_padded - leaf.shape[0]
        if extra == 0:
            return leaf
        return np.concatenate([leaf, np.repeat(leaf[:1], extra, axis=0)])

    return jax.tree_util.tree_map(pad, tree)


__all__ = [
    "EVAL_CHUNK",
    "Layout",
    "ceil_div",
    "check_layout",
    "member_sharding",
    "pad_members",
    "pad_rows",
    "padded_rows",
    "place",
    "plan_layout",
]

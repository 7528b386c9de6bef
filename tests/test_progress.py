"""What ``verbose`` prints: the progress line and the per-epoch log.

The reporters are driven by hand with a fake clock and stream; two real fits
(the quick configuration on the cubic, compiled by other tests too) check the
wiring.
"""

import io
import re

import numpy as np
import pytest
from _helpers import QUICK
from jax.tree_util import tree_leaves

from skdeepens import DeepEnsembleRegressor
from skdeepens._ensemble._progress import (
    EpochLog,
    ProgressLine,
    format_duration,
    make_progress,
)

NAN = np.nan


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeStream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def _line(tty, *, has_validation=True, max_epochs=100, n_members=3, **kwargs):
    clock, stream = FakeClock(), FakeStream(tty)
    line = ProgressLine(
        n_members=n_members,
        max_epochs=max_epochs,
        has_validation=has_validation,
        clock=clock,
        stream=stream,
        **kwargs,
    )
    return line, clock, stream


def _log(*, n_members, has_validation):
    clock, stream = FakeClock(), FakeStream(False)
    log = EpochLog(
        n_members=n_members,
        max_epochs=10,
        has_validation=has_validation,
        epoch_offset=0,
        clock=clock,
        stream=stream,
    )
    return log, clock, stream


def _rows(n_epochs, n_members=3):
    return np.ones((n_epochs, n_members)), np.ones((n_epochs, n_members))


@pytest.mark.parametrize("tty, interval", [(True, 0.2), (False, 5.0)])
def test_the_interval_is_short_on_a_terminal_only(tty, interval):
    assert _line(tty)[0].interval == interval


@pytest.mark.parametrize("tty", [True, False])
def test_refreshes_at_most_once_per_interval(tty):
    line, clock, stream = _line(tty, interval=1.0)
    shown = []
    # A call every eighth of the interval (exact in binary): a refresh every
    # eight calls, the first a whole interval after the start.
    for call in range(24):
        clock.now = (call + 1) / 8
        before = len(stream.getvalue())
        line.update(call, *_rows(1))
        shown.append(len(stream.getvalue()) > before)
    assert [call for call, s in enumerate(shown) if s] == [7, 15, 23]


def test_uses_carriage_return_only_on_a_terminal():
    line, clock, stream = _line(True)
    for call in range(3):
        clock.now = call + 1.0
        line.update(call, *_rows(1))
    line.close()
    out = stream.getvalue()
    assert out.count("\r") == 4 and out.count("\n") == 1 and out.endswith("\n")
    assert out.startswith("\rEpoch 1/100 | ")

    line, clock, stream = _line(False)
    for call in range(3):
        clock.now = 6.0 * (call + 1)
        line.update(call, *_rows(1))
    line.close()
    out = stream.getvalue()
    assert "\r" not in out and out.endswith("\n")
    assert [row.split(" | ")[0] for row in out.splitlines()] == [
        "Epoch 1/100",
        "Epoch 2/100",
        "Epoch 3/100",
        "Epoch 3/100",
    ]


def test_a_shorter_line_blanks_what_was_left_of_the_longer_one():
    line, clock, stream = _line(True)
    clock.now = 1.0
    line.update(0, *_rows(1))
    long = stream.getvalue()
    line.close()
    final = stream.getvalue()[len(long) :]
    # The final line has no time left: it is padded to the longer one's width.
    assert len(final) == len(long) + 1 and final.rstrip("\n").endswith(" ")


def test_shows_the_numbers_of_the_curve_rows():
    line, clock, stream = _line(True)
    losses = np.array([[1.0, 2.0, 3.0], [0.9, 1.9, NAN]])
    validation = np.array([[1.0, 2.0, 3.0], [0.5, 2.5, NAN]])
    clock.now = 1.0
    line.update(0, losses, validation)
    assert line.line(clock.now) == (
        "Epoch 2/100 | 2/3 members training | best validation loss 1.833333 | "
        "1.0 s elapsed, <= 49.0 s left"
    )
    # The rate is measured after the first call, whose time includes compiling:
    # two epochs in 0.5 s, 96 epochs left.
    clock.now = 1.5
    later = np.array([[0.8, NAN, NAN], [0.7, NAN, NAN]])
    line.update(2, later, [[0.4, NAN, NAN]] * 2)
    assert line.remaining(clock.now) == pytest.approx(96 / 4)
    assert line.line(clock.now) == (
        "Epoch 4/100 | 1/3 members training | best validation loss 1.800000 | "
        "1.5 s elapsed, <= 24.0 s left"
    )
    clock.now = 2.0
    line.close()
    final = stream.getvalue().splitlines()[-1].strip()
    assert final.endswith(
        "Epoch 4/100 | 1/3 members training | best validation loss 1.800000 | "
        "2.0 s elapsed"
    )


def test_without_a_validation_set_shows_each_members_latest_training_loss():
    line, clock, _ = _line(False, has_validation=False, max_epochs=None, n_members=2)
    losses = np.array([[4.0, 2.0], [3.0, NAN]])
    line.update(0, losses, losses)
    clock.now = 1.0
    text = line.line(clock.now)
    assert "training loss 2.500000" in text and "validation" not in text
    # No max_iter to count up to (partial_fit): no bound and no time left.
    assert text.startswith("Epoch 2 | 1/2 members training") and "left" not in text


def test_partial_fit_numbers_on_from_earlier_calls():
    line, _, _ = _line(False, max_epochs=None, epoch_offset=7)
    line.update(0, *_rows(1))
    assert line.line(0.0).startswith("Epoch 8 | ")


def test_epoch_log_prints_one_line_per_epoch_with_the_validation_loss():
    log, clock, stream = _log(n_members=2, has_validation=True)
    clock.now = 0.5
    log.update(3, np.array([[1.0, 3.0], [1.0, NAN]]), np.array([[2.0, 4.0], [5, NAN]]))
    log.close()
    assert stream.getvalue().splitlines() == [
        "Epoch 4: loss = 2.000000 (mean over 2 training members), "
        "validation loss = 3.000000, elapsed = 0.50 s",
        "Epoch 5: loss = 1.000000 (mean over 1 training members), "
        "validation loss = 5.000000, elapsed = 0.50 s",
    ]


def test_epoch_log_waits_for_every_group_still_training():
    log, clock, stream = _log(n_members=3, has_validation=False)
    # Group [0, 1] reports two epochs; group [2] has reported none yet.
    log.update(0, np.array([[1.0, 3.0], [1.0, 1.0]]), np.ones((2, 2)), [0, 1])
    assert stream.getvalue() == ""
    # Group [2] reports three epochs and is done: epochs 1-2 are complete.
    log.update(0, np.array([[5.0], [5.0], [2.0]]), np.ones((3, 1)), [2], True)
    lines = stream.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Epoch 1", "Epoch 2"]
    assert "loss = 3.000000 (mean over 3 training members)" in lines[0]
    # The only group still training bounds the lines; its end prints the rest.
    log.update(2, np.array([[1.0, NAN]]), np.ones((1, 2)), [0, 1], True)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert "Epoch 3: loss = 1.500000 (mean over 2 training members)" in lines[2]
    log.close()
    assert len(stream.getvalue().splitlines()) == 3


def test_progress_line_joins_the_groups_members():
    line, clock, stream = _line(False, interval=100.0)
    line.update(0, np.array([[1.0, 1.0]]), np.array([[0.5, 0.7]]), members=[0, 1])
    line.update(0, np.array([[1.0], [NAN]]), np.array([[0.3], [NAN]]), members=[2])
    line.update(1, np.array([[1.0, 1.0]]), np.array([[0.2, 0.8]]), members=[0, 1])
    assert line.training == 2  # member 2 stopped
    assert line.epochs_done == 2
    np.testing.assert_allclose(line.monitored, [0.2, 0.7, 0.3])
    line.close()
    assert "Epoch 2/100 | 2/3 members training | best validation loss 0.400000" in (
        stream.getvalue()
    )


def test_levels():
    common = dict(n_members=2, max_epochs=5, has_validation=False, epoch_offset=0)
    assert make_progress(0, **common) is None
    assert type(make_progress(1, **common)) is ProgressLine
    assert type(make_progress(2, **common)) is EpochLog
    assert type(make_progress(5, **common)) is EpochLog


@pytest.mark.parametrize(
    "seconds, text",
    [(4.24, "4.2 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_verbose_fit_prints_its_final_line_and_fits_the_same(cubic, capsys):
    X, y = cubic
    quiet = DeepEnsembleRegressor(**QUICK).fit(X, y)
    capsys.readouterr()
    reg = DeepEnsembleRegressor(**QUICK, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    # capsys is no terminal: plain lines, the last one the fit's end.
    assert "\r" not in out and out.endswith("\n")
    last = out.splitlines()[-1]
    assert re.fullmatch(
        rf"Epoch {reg.n_iter_}/{QUICK['max_iter']} \| 3/3 members training \| "
        r"training loss -?\d+\.\d{6} \| \d+\.\d s elapsed",
        last,
    )
    # Reporting is host-side only: the fit is bit for bit the same.
    for ours, theirs in zip(tree_leaves(reg.params_), tree_leaves(quiet.params_)):
        np.testing.assert_array_equal(ours, theirs)

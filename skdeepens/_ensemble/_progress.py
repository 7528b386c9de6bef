"""What ``verbose`` prints during a fit: host-side reporting, never numerics.

The trainer calls back after each compiled call of a group of members with the
curve rows of the epochs it ran (NaN for members no longer training) and the
group's member indices. Groups run in threads, so the reporters take a lock.
:class:`ProgressLine` (``verbose=1``) keeps one refreshing status line;
:class:`EpochLog` (``verbose>=2``) prints one line per epoch. Both take a
clock and a stream so that tests can drive them without a fit.
"""

import sys
import threading
import time

import numpy as np

# A terminal redraws the line in place, so a few refreshes a second read as
# live; a log or a notebook's captured output keeps every line, so it gets one
# every few seconds.
TTY_INTERVAL = 0.2
PLAIN_INTERVAL = 5.0


def make_progress(verbose, *, n_members, max_epochs, has_validation, epoch_offset):
    """The reporter for a ``verbose`` level, or None when silent.

    ``max_epochs`` None means no bound is known (``partial_fit``), so no
    remaining time is estimated. ``epoch_offset`` numbers the epochs after
    those of earlier ``partial_fit`` calls.
    """
    if not verbose:
        return None
    kind = ProgressLine if verbose == 1 else EpochLog
    return kind(
        n_members=n_members,
        max_epochs=max_epochs,
        has_validation=has_validation,
        epoch_offset=epoch_offset,
    )


def _is_tty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def format_duration(seconds):
    """``seconds`` as ``"4.2 s"``, ``"3 min 05 s"`` or ``"1 h 02 min"``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class _Reporter:
    """State shared by the two reporters: the clock, the stream, the numbering."""

    def __init__(
        self,
        *,
        n_members,
        max_epochs,
        has_validation,
        epoch_offset=0,
        clock=time.perf_counter,
        stream=None,
    ):
        self.n_members = n_members
        self.max_epochs = max_epochs
        self.has_validation = has_validation
        self.epoch_offset = epoch_offset
        self.clock = clock
        # Looked up now, not at import, so that a redirected sys.stdout
        # (pytest's capsys, contextlib.redirect_stdout) is the one written to.
        self.stream = sys.stdout if stream is None else stream
        self.start = clock()
        self.epochs_done = 0
        self._lock = threading.Lock()

    def update(
        self, first_epoch, losses, validation_losses, members=None, finished=False
    ):
        """Take the curve rows of the epochs ``first_epoch, ...`` of ``members``.

        ``members`` (None: all) are the indices of the curves' columns;
        ``finished`` says that these members train no further epochs.
        """
        if members is None:
            members = np.arange(self.n_members)
        with self._lock:
            self._update(first_epoch, losses, validation_losses, members, finished)

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()


class EpochLog(_Reporter):
    """``verbose>=2``: one line per epoch, as scikit-learn's MLP prints.

    Groups of members report on their own; an epoch's line is printed once
    every group still training has reported it, with the means over all the
    members that trained in it.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        n = self.n_members
        self.reached = np.zeros(n, int)  # epochs each member's group reported
        self.finished = np.zeros(n, bool)
        self.pending = {}  # epoch -> (loss row, validation row) of all members
        self.printed = 0

    def _update(self, first_epoch, losses, validation_losses, members, finished):
        for offset, (row, val_row) in enumerate(zip(losses, validation_losses)):
            epoch = first_epoch + offset
            if epoch not in self.pending:
                self.pending[epoch] = (
                    np.full(self.n_members, np.nan),
                    np.full(self.n_members, np.nan),
                )
            self.pending[epoch][0][members] = row
            self.pending[epoch][1][members] = val_row
        self.reached[members] = first_epoch + len(losses)
        self.finished[members] |= finished
        running = ~self.finished
        self._print_until(self.reached[running].min() if running.any() else None)

    def _print_until(self, epoch_bound):
        elapsed = self.clock() - self.start
        for epoch in sorted(self.pending):
            if epoch_bound is not None and epoch >= epoch_bound:
                break
            row, val_row = self.pending.pop(epoch)
            training = np.isfinite(row)
            line = (
                f"Epoch {self.epoch_offset + epoch + 1}: loss = "
                f"{np.nanmean(row):.6f} (mean over {int(training.sum())} training "
                "members)"
            )
            if self.has_validation:
                line += f", validation loss = {np.nanmean(val_row):.6f}"
            self._write(f"{line}, elapsed = {elapsed:.2f} s\n")
            self.epochs_done = epoch + 1

    def close(self):
        """Print the epochs still held back (a fit stopped early)."""
        with self._lock:
            self._print_until(None)


class ProgressLine(_Reporter):
    """``verbose=1``: one status line, refreshed at most every ``interval`` s.

    On a terminal the line is redrawn in place with a carriage return every
    ``TTY_INTERVAL`` seconds at most; elsewhere a plain line is printed every
    ``PLAIN_INTERVAL`` seconds at most. :meth:`close` always prints the final
    line, ending with a newline.

    The loss shown is the mean over members of each member's best validation
    loss so far, which is what the early-stopped members return to; without a
    validation set it is the mean of each member's latest training loss.

    Parameters
    ----------
    n_members : int
        The members trained.
    max_epochs : int or None
        ``max_iter``: the bound the epochs are counted up to and the time left
        estimated from. None (``partial_fit``): neither is shown.
    has_validation : bool
        Whether the validation curve rows are validation losses (else they
        repeat the training losses, and the training loss is shown).
    epoch_offset : int, default=0
        Epochs run by earlier ``partial_fit`` calls, to number on from.
    clock : callable, default=time.perf_counter
        Seconds, from an arbitrary origin.
    stream : file-like, default=None
        Where to write; None is ``sys.stdout`` at construction.
    interval : float, default=None
        Least seconds between two refreshes; None is ``TTY_INTERVAL`` on a
        terminal and ``PLAIN_INTERVAL`` elsewhere.
    """

    def __init__(self, *, interval=None, **kwargs):
        super().__init__(**kwargs)
        self.tty = _is_tty(self.stream)
        if interval is None:
            interval = TTY_INTERVAL if self.tty else PLAIN_INTERVAL
        self.interval = interval
        # The first refresh waits a full interval too: a fit shorter than
        # that prints its final line only.
        self.last_shown = self.start
        self.shown_width = 0
        n = self.n_members
        self.training_members = np.ones(n, bool)
        self.monitored = np.full(n, np.nan)
        # The epoch rate is measured from the end of the first compiled call,
        # whose time includes compiling the program.
        self.rate_from = None

    @property
    def training(self):
        """How many members still train."""
        return int(self.training_members.sum())

    def _update(self, first_epoch, losses, validation_losses, members, finished):
        losses = np.asarray(losses, dtype=float)
        if len(losses) == 0:
            return
        now = self.clock()
        # Groups run side by side: the furthest one counts the epochs.
        self.epochs_done = max(self.epochs_done, first_epoch + len(losses))
        self.training_members[members] = np.isfinite(losses[-1])
        if self.has_validation:
            # fmin skips NaN: a member's best stays once it stops.
            best = np.fmin.reduce(np.asarray(validation_losses, dtype=float), axis=0)
            self.monitored[members] = np.fmin(self.monitored[members], best)
        else:
            monitored = self.monitored[members]
            for row in losses:
                monitored = np.where(np.isfinite(row), row, monitored)
            self.monitored[members] = monitored
        if self.rate_from is None:
            self.rate_from = (now, self.epochs_done)
        if now - self.last_shown >= self.interval:
            self._show(self.line(now), final=False)
            self.last_shown = now

    def close(self):
        """Print the final line, ending with a newline."""
        self._show(self.line(self.clock(), final=True), final=True)

    def line(self, now, *, final=False):
        """The status text at time ``now`` (without carriage return or newline)."""
        epoch = self.epoch_offset + self.epochs_done
        parts = [
            f"Epoch {epoch}"
            + ("" if self.max_epochs is None else f"/{self.max_epochs}"),
            f"{self.training}/{self.n_members} members training",
        ]
        seen = self.monitored[np.isfinite(self.monitored)]
        if seen.size:
            name = "best validation loss" if self.has_validation else "training loss"
            parts.append(f"{name} {seen.mean():.6f}")
        elapsed = now - self.start
        if final:
            parts.append(f"{format_duration(elapsed)} elapsed")
        else:
            left = self.remaining(now)
            parts.append(
                f"{format_duration(elapsed)} elapsed"
                + ("" if left is None else f", <= {format_duration(left)} left")
            )
        return " | ".join(parts)

    def remaining(self, now):
        """Seconds left at the current epoch rate if every epoch up to
        ``max_epochs`` runs: an upper bound, as early stopping may end sooner.

        None when there is no bound or no rate yet.
        """
        if self.max_epochs is None or self.rate_from is None:
            return None
        since, epochs_then = self.rate_from
        if self.epochs_done > epochs_then and now > since:
            rate = (self.epochs_done - epochs_then) / (now - since)
        elif now > self.start:
            # One call so far: its time includes compiling, so this overstates.
            rate = self.epochs_done / (now - self.start)
        else:
            return None
        return max(0, self.max_epochs - self.epochs_done) / rate

    def _show(self, text, *, final):
        end = "\n" if final else ""
        if self.tty:
            # Spaces over what is left of a longer previous line.
            pad = " " * max(0, self.shown_width - len(text))
            self._write(f"\r{text}{pad}{end}")
            self.shown_width = 0 if final else len(text)
        else:
            self._write(f"{text}\n")

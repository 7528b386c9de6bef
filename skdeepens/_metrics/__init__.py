"""The metrics, one module per concept; :mod:`skdeepens.metrics` re-exports them."""

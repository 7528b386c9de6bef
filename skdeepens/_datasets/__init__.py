"""The data sets, one module per topic; :mod:`skdeepens.datasets` re-exports them."""

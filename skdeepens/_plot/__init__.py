"""The displays, one module each; :mod:`skdeepens.plotting` is their public home.

Adding a display is adding one module here that imports its helpers from
``_base`` and a line in ``skdeepens/plotting.py``.
"""

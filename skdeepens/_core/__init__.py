"""The pure JAX + optax core: networks, losses, FGSM and the compiled trainer.

Nothing here imports scikit-learn or draws random numbers: parameters are pytrees,
and the randomness (initial weights, data order) arrives as arrays from the caller.
"""

import jax
try:
    have = len(jax.devices("gpu"))
except RuntimeError:
    have = 0
what = "jax " + jax.__version__

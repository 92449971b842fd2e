import jax, jax.numpy as jnp
a = jnp.ones((64, 64))
(a @ a).block_until_ready()
print('jax ' + jax.__version__ + ' %s: matmul ok' % jax.devices(), flush=True)

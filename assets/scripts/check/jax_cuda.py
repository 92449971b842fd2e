import jax, jax.numpy as jnp
devs = [d for d in jax.devices() if d.platform == 'gpu']
if not devs:
    fail('jax.devices() has no GPU: %s' % jax.devices())
count_ok(len(devs))
for d in devs:
    a = jax.device_put(jnp.ones((512, 512)), d)
    (a @ a).block_until_ready()
    print('%s: matmul ok' % d, flush=True)

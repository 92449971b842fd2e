def devices():
    import jax

    return [str(d) for d in jax.devices()]

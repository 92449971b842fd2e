def devices():
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return [g.name for g in gpus] or ["cpu"]

import tensorflow as tf
gpus = tf.config.list_physical_devices('GPU')
if not gpus:
    fail("tf.config.list_physical_devices('GPU') is empty")
count_ok(len(gpus))
for i, g in enumerate(gpus):
    with tf.device('/GPU:%d' % i):
        a = tf.random.normal((512, 512))
        float(tf.reduce_sum(tf.matmul(a, a)))
    print('%s: matmul ok' % g.name, flush=True)

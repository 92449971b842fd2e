import tensorflow as tf
a = tf.random.normal((64, 64))
float(tf.reduce_sum(tf.matmul(a, a)))
print('tensorflow ' + tf.__version__ + ': cpu matmul ok', flush=True)

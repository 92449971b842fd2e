import tensorflow as tf
have = len(tf.config.list_physical_devices("GPU"))
what = "tensorflow " + tf.__version__

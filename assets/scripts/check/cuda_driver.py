import ctypes
try:
    cuda = ctypes.CDLL('libcuda.so.1')
except OSError as e:
    fail('libcuda.so.1 is not in the container (%s): the GPU was not passed in' % e)
r = cuda.cuInit(0)
if r != 0:
    fail('cuInit failed with CUDA error %d' % r)
n = ctypes.c_int(0)
cuda.cuDeviceGetCount(ctypes.byref(n))
if n.value == 0:
    fail('the CUDA driver sees no GPU')
count_ok(n.value)
for i in range(n.value):
    name = ctypes.create_string_buffer(100)
    dev = ctypes.c_int(0)
    cuda.cuDeviceGet(ctypes.byref(dev), i)
    cuda.cuDeviceGetName(name, 100, dev)
    print('GPU %d: %s' % (i, name.value.decode()), flush=True)

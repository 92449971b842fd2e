import sys
def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr, flush=True)
    sys.exit(1)
print('python ' + sys.version.split()[0], flush=True)
EXPECT = __EXPECT_GPUS__
def count_ok(n):
    if EXPECT and n < EXPECT:
        fail('the framework sees %d GPU(s) but the host has %d' % (n, EXPECT))

import __IMPORT__
print('__IMPORT__ imported', flush=True)

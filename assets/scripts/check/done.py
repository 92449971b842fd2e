print('OK', flush=True)

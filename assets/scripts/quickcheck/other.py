import os; print(os.environ.get('NVIDIA_VISIBLE_DEVICES'))

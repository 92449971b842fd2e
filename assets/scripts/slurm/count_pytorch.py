import torch
have = torch.cuda.device_count()
what = "torch " + torch.__version__

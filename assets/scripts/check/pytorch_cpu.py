import torch
a = torch.randn(64, 64)
(a @ a).sum().item()
print('torch ' + torch.__version__ + ': cpu matmul ok', flush=True)

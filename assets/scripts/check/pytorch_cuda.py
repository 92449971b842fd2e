import torch
print('torch ' + torch.__version__ + ', built for CUDA ' + str(torch.version.cuda), flush=True)
if not torch.cuda.is_available():
    fail('torch.cuda.is_available() is False')
n = torch.cuda.device_count()
count_ok(n)
for i in range(n):
    a = torch.randn(512, 512, device='cuda:%d' % i)
    v = (a @ a).sum().item()
    torch.cuda.synchronize(i)
    print('cuda:%d %s (sm_%d%d): matmul ok' % ((i, torch.cuda.get_device_name(i)) + torch.cuda.get_device_capability(i)), flush=True)

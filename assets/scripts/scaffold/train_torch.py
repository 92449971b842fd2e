"""Training entry point scaffolded by mlcontain: replace it with your training code.

Runs as one process (`python train.py`) or as several under torchrun (one per
GPU on one host, or across nodes): it joins the process group torchrun
describes (RANK, WORLD_SIZE, LOCAL_RANK), trains a small model on random data
with DistributedDataParallel (NCCL on GPUs, gloo on CPUs) and ends cleanly
(barrier, then destroy_process_group). Rank 0 writes model.json to MODEL_DIR,
so the inference service can show that the shared `models` volume works.

Sizes come from the environment: EPOCHS, SAMPLES, FEATURES, BATCH_SIZE and
NUM_WORKERS (data-loader worker processes hand batches over in /dev/shm).
"""

import json
import os
import pathlib

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler


def env_int(name, default):
    return int(os.environ.get(name, default))


class RandomData(Dataset):
    """Deterministic random samples: sample i is the same in every process."""

    def __init__(self, samples, features):
        self.samples = samples
        self.features = features

    def __len__(self):
        return self.samples

    def __getitem__(self, i):
        x = torch.randn(self.features, generator=torch.Generator().manual_seed(i))
        return x, x.sum().unsqueeze(0)


def main():
    distributed = "RANK" in os.environ  # set by torchrun
    cuda = torch.cuda.is_available()
    local_rank = env_int("LOCAL_RANK", 0)
    if cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    backend = dist.get_backend() if distributed else "none"
    print(f"rank {rank}/{world} on {device} (backend {backend})", flush=True)

    features = env_int("FEATURES", 64)
    data = RandomData(env_int("SAMPLES", 1024), features)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank) if distributed else None
    loader = DataLoader(
        data,
        batch_size=env_int("BATCH_SIZE", 32),
        sampler=sampler,
        shuffle=sampler is None,
        num_workers=env_int("NUM_WORKERS", 2),
        pin_memory=cuda,
    )
    model = torch.nn.Linear(features, 1).to(device)
    if distributed:
        model = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    for epoch in range(env_int("EPOCHS", 1)):
        if sampler is not None:
            sampler.set_epoch(epoch)
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"rank {rank}: epoch {epoch} loss {loss.item():.4f}", flush=True)

    if distributed:
        dist.barrier()
    if rank == 0:
        model_dir = pathlib.Path(os.environ.get("MODEL_DIR", "models"))
        model_dir.mkdir(parents=True, exist_ok=True)
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        found = {"devices": names or ["cpu"], "version": torch.__version__, "world_size": world}
        (model_dir / "model.json").write_text(json.dumps(found))
        print(f"wrote {model_dir / 'model.json'}", flush=True)
    print(f"rank {rank}: done, world size {world}", flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()

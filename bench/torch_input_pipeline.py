#!/usr/bin/python3
"""PyTorch side of bench/input-pipeline.ts: the reference's input pipeline on PIL 9.4 + torchvision 0.14.

What it runs is the reference implementation's (LSX-UniWue/background-bias-in-dml, src/utils/transforms.py
TrainTransform and src/models/dml_module.py's BGAugment), written out here with the same torchvision calls:
  image, mask: RGB->BGR (split + merge), Resize(256) of both, RandomResizedCrop.get_params(scale (0.16, 1),
  ratio (0.75, 1.33)), resized_crop to 227 of both, flip both if np.random.rand() > 0.5, to_tensor, image x255,
  Normalize(mean [104, 117, 128], std 1).
  BGAugment: every image gets x*m + bg*(1-m); bg = a background drawn uniformly with replacement from the pool,
  run through the same TrainTransform (the reference passes bg.split()[0] as its mask: --variant reference
  keeps that wasted work, --variant lean skips it).

Modes (one JSON line on stdout per run):
  --mode thread: images and masks already decoded (PNG files written by the TypeScript side, so both sides
    transform the same pixels), batches of --batch through the transform (+ BGAugment), torch.stack into a
    batch tensor, one thread (torch.set_num_threads(1)); timed over --batches after --warmup.
  --mode loader: a torch DataLoader with --workers worker processes over the same prepared shard file the
    TypeScript pool reads (bgbias shard format: 'BGSH', uint32 LE header length, JSON header, payloads);
    each item is read from the file, decoded by PIL and transformed (+ BGAugment, per sample) in the
    workers; the main process only receives batches. persistent_workers, default prefetch_factor (2).

Needs python3-torch and python3-torchvision (Debian 12: torch 1.13, torchvision 0.14, PIL 9.4):
  bash bench/install-torch.sh
"""
import argparse
import io
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torchvision
    import torchvision.transforms as T
    import torchvision.transforms.functional as TF
    from PIL import Image
except ImportError as e:  # say how to get them instead of a bare traceback
    sys.stderr.write(f"torch_input_pipeline.py: {e}; install with: bash bench/install-torch.sh\n")
    sys.exit(3)

MEAN = [104, 117, 128]
NORMALIZE = T.Normalize(mean=MEAN, std=[1, 1, 1])


def to_bgr(img):
    r, g, b = img.split()
    return Image.merge("RGB", (b, g, r))


def train_transform(image, mask):
    """The reference's TrainTransform.forward (image: RGB PIL, mask: L PIL or None)."""
    image = to_bgr(image)
    image = TF.resize(image, 256)
    if mask is not None:
        mask = TF.resize(mask, 256)
    i, j, h, w = T.RandomResizedCrop.get_params(image, scale=(0.16, 1), ratio=(0.75, 1.33))
    image = TF.resized_crop(image, i, j, h, w, size=(227, 227))
    if mask is not None:
        mask = TF.resized_crop(mask, i, j, h, w, size=(227, 227))
    if np.random.rand() > 0.5:
        image = TF.hflip(image)
        if mask is not None:
            mask = TF.hflip(mask)
    image = TF.to_tensor(image)
    if mask is not None:
        mask = TF.to_tensor(mask)
    image = NORMALIZE(image * 255)
    return image, mask


def background(pool, variant):
    """One train-transformed background drawn with replacement (dml_module.py's per-image draw)."""
    bg = pool[np.random.randint(len(pool))]
    return train_transform(bg, bg.split()[0] if variant == "reference" else None)[0]


def load_png_dir(folder, prefix):
    files = sorted(f for f in os.listdir(folder) if f.startswith(prefix) and f.endswith(".png"))
    out = []
    for f in files:
        img = Image.open(os.path.join(folder, f))
        img.load()
        out.append(img)
    return out


def thread_mode(a):
    torch.set_num_threads(1)
    images = load_png_dir(a.dir, "image-")
    masks = load_png_dir(a.dir, "mask-")
    pool = load_png_dir(a.bgdir, "bg-") if a.aug == "bgaugment" else None
    if len(images) == 0 or len(images) != len(masks):
        raise SystemExit(f"{a.dir}: expected image-*.png and mask-*.png pairs, got {len(images)} / {len(masks)}")
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    k = 0

    def batch():
        nonlocal k
        xs, ms = [], []
        for _ in range(a.batch):
            x, m = train_transform(images[k % len(images)], masks[k % len(images)])
            k += 1
            xs.append(x)
            ms.append(m)
        x = torch.stack(xs)
        if pool is not None:
            m = torch.stack(ms)
            bg = torch.stack([background(pool, a.variant) for _ in range(a.batch)])
            x = x * m + bg * (1 - m)
        return x

    for _ in range(a.warmup):
        batch()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.batches):
        batch()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = a.batches * a.batch
    return {"images": n, "seconds": seconds, "imgPerSec": n / seconds, "cpuSeconds": cpu, "imgPerCpuSec": n / cpu}


class ShardDataset(torch.utils.data.Dataset):
    """Items of one bgbias shard file, read on demand (each worker opens the file itself)."""

    def __init__(self, path, pool, variant):
        self.path = path
        with open(path, "rb") as f:
            head = f.read(8)
            if head[:4] != b"BGSH":
                raise SystemExit(f"{path}: not a bgbias shard")
            n = int.from_bytes(head[4:8], "little")
            self.entries = json.loads(f.read(n).decode("utf8"))
        self.base = 8 + n
        self.pool = pool
        self.variant = variant
        self.fd = None

    def __len__(self):
        return len(self.entries)

    def read(self, span):
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDONLY)
        return os.pread(self.fd, span[1], self.base + span[0])

    def __getitem__(self, i):
        e = self.entries[i]
        image = Image.open(io.BytesIO(self.read(e["image"]))).convert("RGB")
        mask = Image.open(io.BytesIO(self.read(e["mask"]))).convert("L")
        x, m = train_transform(image, mask)
        if self.pool is not None:
            x = x * m + background(self.pool, self.variant) * (1 - m)
        return x, e["label"]


def seed_worker(worker_id):
    np.random.seed(1000 + worker_id)


def loader_mode(a):
    torch.set_num_threads(1)
    pool = load_png_dir(a.bgdir, "bg-") if a.aug == "bgaugment" else None
    ds = ShardDataset(a.shard, pool, a.variant)
    total = (a.warmup + a.batches) * a.batch
    g = torch.Generator()
    g.manual_seed(a.seed)
    sampler = torch.utils.data.RandomSampler(ds, replacement=True, num_samples=total, generator=g)
    dl = torch.utils.data.DataLoader(
        ds,
        batch_size=a.batch,
        sampler=sampler,
        num_workers=a.workers,
        persistent_workers=True,
        worker_init_fn=seed_worker,
        drop_last=True,
    )
    it = iter(dl)
    for _ in range(a.warmup):
        next(it)
    t0 = time.perf_counter()
    for _ in range(a.batches):
        next(it)
    seconds = time.perf_counter() - t0
    return {"images": a.batches * a.batch, "seconds": seconds, "imgPerSec": a.batches * a.batch / seconds}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["thread", "loader"], required=True)
    p.add_argument("--aug", choices=["plain", "bgaugment"], default="plain")
    p.add_argument("--variant", choices=["reference", "lean"], default="reference")
    p.add_argument("--dir", help="thread mode: folder of image-*.png / mask-*.png")
    p.add_argument("--bgdir", help="folder of bg-*.png (the val pool, resized to 256)")
    p.add_argument("--shard", help="loader mode: the shard file")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    r = thread_mode(a) if a.mode == "thread" else loader_mode(a)
    r.update({"framework": "pytorch", "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                                                   "PIL": Image.__version__}})
    print(json.dumps(r))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench/dcgan_torch.py — the DCGAN iteration of `gantry bench` in PyTorch, for
the GPU comparison (the LibTorch twin bench/bench_libtorch.cpp is built against
Debian's CPU-only LibTorch; the GPU machine has PyTorch, whose C++ core is the
same LibTorch). Same networks, batch, optimizer and loop as bench_libtorch's
`Iteration` (the cpp/dcgan example): BCE on sigmoid outputs, smoothed real
labels, Adam(2e-4, 0.5, 0.999). Each iteration ends with
torch.cuda.synchronize(), as `gantry bench --device cuda` ends each with a
device synchronization. Python adds a few microseconds per op call on top of
LibTorch; at ~60 ops per iteration that is well under a millisecond.

  python3 bench/dcgan_torch.py [--device cuda] [--batch 64] [--warmup 20] [--steps 200] [--rounds 3]

Prints `torch_ms`, `torch_frozen_ms` (D frozen during the G step, as Gantry
does): medians of the rounds' medians, and the settings (cudnn.benchmark on,
TF32 off: the same float32 arithmetic Gantry uses by default).
"""
import argparse
import statistics
import time

import torch
from torch import nn


def nets():
    G = nn.Sequential(
        nn.ConvTranspose2d(100, 256, 4, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
        nn.ConvTranspose2d(256, 128, 3, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        nn.Conv2d(256, 1, 3, 1, 0, bias=False), nn.Sigmoid())
    return G, D


class Iteration:
    def __init__(self, batch, device):
        self.G, self.D = (m.to(device) for m in nets())
        self.og = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.od = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.real = torch.tanh(torch.randn(batch, 1, 28, 28, device=device))
        self.batch, self.device = batch, device

    def run(self, freeze_d):
        b, dev = self.batch, self.device
        bce = nn.functional.binary_cross_entropy
        self.D.zero_grad()
        real_labels = torch.empty(b, device=dev).uniform_(0.8, 1.0)
        bce(self.D(self.real).reshape(-1), real_labels).backward()
        fake = self.G(torch.randn(b, 100, 1, 1, device=dev))
        fake_labels = torch.zeros(b, device=dev)
        bce(self.D(fake.detach()).reshape(-1), fake_labels).backward()
        self.od.step()
        if freeze_d:
            for p in self.D.parameters():
                p.requires_grad_(False)
        self.G.zero_grad()
        fake_labels.fill_(1)
        bce(self.D(fake).reshape(-1), fake_labels).backward()
        self.og.step()
        if freeze_d:
            for p in self.D.parameters():
                p.requires_grad_(True)


def median_ms(it, freeze_d, warmup, steps):
    for _ in range(warmup):
        it.run(freeze_d)
    torch.cuda.synchronize() if it.device.startswith("cuda") else None
    ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        it.run(freeze_d)
        if it.device.startswith("cuda"):
            torch.cuda.synchronize()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    it = Iteration(a.batch, a.device)
    plain = [median_ms(it, False, a.warmup, a.steps) for _ in range(a.rounds)]
    frozen = [median_ms(it, True, a.warmup, a.steps) for _ in range(a.rounds)]
    name = torch.cuda.get_device_name() if a.device.startswith("cuda") else "cpu"
    print(f"torch {torch.__version__} cudnn {torch.backends.cudnn.version()} device {name}")
    print(f"torch_ms {statistics.median(plain):.3f}")
    print(f"torch_frozen_ms {statistics.median(frozen):.3f}")


if __name__ == "__main__":
    main()

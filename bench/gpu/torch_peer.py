# PyTorch's side of bench/gpu (the GPU machine has PyTorch, not libtorch-dev): the same figures as mx_bench_gpu,
# written as JSON for it to print beside its own. A benchmark peer, not part of mxpp.
# Usage: python3 torch_peer.py [--quick] --json FILE
import json
import os
import sys
import time

import torch


def tf32_wanted():
    """mxpp's rule (operators/gpu_blas.h): float32 may use TF32 tensor cores only where MX_CUDA_ALLOW_TF32 or
    MXNet's MXNET_CUDA_ALLOW_TENSOR_CORE_CONVERSION is a nonzero number."""
    for name in ("MX_CUDA_ALLOW_TF32", "MXNET_CUDA_ALLOW_TENSOR_CORE_CONVERSION"):
        try:
            if int(os.environ.get(name, "0")) != 0:
                return True
        except ValueError:
            pass
    return False


# The same arithmetic as mxpp's, so that float32 figures compare: PyTorch's own defaults allow TF32 in cuDNN's
# convolutions (not in its matrix products), mxpp's in neither unless asked; here both follow mxpp's setting.
TF32 = tf32_wanted()
torch.backends.cudnn.allow_tf32 = TF32
torch.backends.cuda.matmul.allow_tf32 = TF32


def tiny_op_ns(chained, ops, rounds):
    x = torch.ones(1, device="cuda")
    best = float("inf")
    for _ in range(rounds):
        torch.cuda.synchronize()
        y = x
        start = time.perf_counter()
        for _ in range(ops):
            y = (y if chained else x) + 1
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - start) * 1e9 / ops)
    return best


def mlp_epoch_seconds(batches, epochs):
    batch = 128
    torch.manual_seed(0)
    x = torch.randn(batch * batches, 784, device="cuda")
    y = torch.randint(0, 10, (batch * batches,), device="cuda")
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).cuda()
    loss_fn = torch.nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    best = float("inf")
    for epoch in range(epochs + 1):
        torch.cuda.synchronize()
        start = time.perf_counter()
        for b in range(batches):
            trainer.zero_grad()
            loss = loss_fn(net(x[b * batch:(b + 1) * batch]), y[b * batch:(b + 1) * batch])
            loss.backward()
            trainer.step()
        torch.cuda.synchronize()
        if epoch > 0:
            best = min(best, time.perf_counter() - start)
    return best


def resnet50():
    """torchvision's resnet50 (v1.5: the bottleneck strides in its 3x3 convolution), or the same network built
    here where torchvision is not installed."""
    try:
        import torchvision
        return torchvision.models.resnet50()
    except ImportError:
        pass
    nn = torch.nn

    class Bottleneck(nn.Module):
        def __init__(self, inplanes, planes, stride):
            super().__init__()
            width, out = planes, planes * 4
            self.body = nn.Sequential(
                nn.Conv2d(inplanes, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out))
            self.downsample = None
            if stride != 1 or inplanes != out:
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            return torch.relu(self.body(x) + identity)

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    inplanes = 64
    for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            layers.append(Bottleneck(inplanes, planes, stride if i == 0 else 1))
            inplanes = planes * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000)]
    return nn.Sequential(*layers)


def resnet50_images_per_second(batch, warmup, steps, mixed_precision):
    torch.manual_seed(0)
    x = torch.randn(batch, 3, 224, 224, device="cuda")
    y = torch.randint(0, 1000, (batch,), device="cuda")
    net = resnet50().cuda()
    loss_fn = torch.nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    scaler = torch.amp.GradScaler("cuda", enabled=mixed_precision)

    def step():
        trainer.zero_grad()
        with torch.autocast("cuda", dtype=torch.float16, enabled=mixed_precision):
            loss = loss_fn(net(x), y)
        scaler.scale(loss).backward()
        scaler.step(trainer)
        scaler.update()

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def main():
    quick = "--quick" in sys.argv
    path = sys.argv[sys.argv.index("--json") + 1]
    ops, rounds = (1000, 2) if quick else (20000, 5)
    batches, epochs = (20, 1) if quick else (469, 3)
    report = {
        "device": torch.cuda.get_device_name(0) + ", PyTorch " + torch.__version__,
        "tf32": TF32,
        "tiny_op_ns": tiny_op_ns(False, ops, rounds),
        "tiny_op_chain_ns": tiny_op_ns(True, ops, rounds),
        "mlp_epoch_s": mlp_epoch_seconds(batches, epochs),
    }
    batch, warmup, steps = (8, 1, 2) if quick else (128, 5, 20)
    report["resnet50_fp32_images_s"] = resnet50_images_per_second(batch, warmup, steps, False)
    report["resnet50_amp_images_s"] = resnet50_images_per_second(batch, warmup, steps, True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()

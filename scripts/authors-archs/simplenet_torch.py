"""Does the authors' SimpleNet train in PyTorch on 1,500 MNIST points, and how does it depend on input scaling?

An independent check of docs/REPRODUCTION.md ("The authors' architectures"): SimpleNet with 8 hidden layers of
width 256 (nn.Linear and ReLU, PyTorch's default initialisation, as in the authors' code), trained with SGD on the
first 1,500 training images of MNIST in batches of 100, inputs either pixels / 255 ("none") or standardised as
the authors did, transforms.Normalize((0.1307,), (0.3081,)) ("global"). Prints the training accuracy on the 1,500
points every 75 steps.

    python3 scripts/authors-archs/simplenet_torch.py MNIST_DIR none|global LR MOMENTUM STEPS SEED

MNIST_DIR holds train-images-idx3-ubyte and train-labels-idx1-ubyte (e.g. ~/.cache/flatminima/mnist after
'flatminima data fetch mnist'). Debian's python3-torch 1.13 runs it (run /usr/bin/python3 when another python
comes first on the PATH).
"""
import os
import sys

import numpy as np
import torch


def idx(path):
    with open(path, "rb") as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    d, scaling, lr, momentum, steps, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), \
        int(sys.argv[5]), int(sys.argv[6])
    n = 1500
    x = idx(os.path.join(d, "train-images-idx3-ubyte"))[:n].reshape(n, -1).astype(np.float32) / 255
    y = idx(os.path.join(d, "train-labels-idx1-ubyte"))[:n].astype(np.int64)
    if scaling == "global":
        x = (x - 0.1307) / 0.3081
    elif scaling != "none":
        raise SystemExit("scaling must be none or global")
    torch.manual_seed(seed)
    layers, width = [], 784
    for _ in range(8):
        layers += [torch.nn.Linear(width, 256), torch.nn.ReLU()]
        width = 256
    net = torch.nn.Sequential(*layers, torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    x, y = torch.tensor(x), torch.tensor(y)
    g = torch.Generator().manual_seed(seed)
    step = 0
    while step < steps:
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, 100):
            b = perm[i:i + 100]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[b]), y[b]).backward()
            opt.step()
            step += 1
            if step % 75 == 0:
                with torch.no_grad():
                    out = net(x)
                    loss = float(torch.nn.functional.cross_entropy(out, y))
                    acc = float((out.argmax(1) == y).float().mean())
                print(f"step {step} loss {loss:.4f} train_acc {acc:.3f}")
            if step >= steps:
                break


if __name__ == "__main__":
    main()

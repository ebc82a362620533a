# Scratch profile (issue 17, 2026-12-05, docs/PERFORMANCE.md "Max pooling on vectors"): PyTorch's own split of W2's f32
# gradient at batch 1000, one thread, 50 calls after 30 untimed (torch.profiler):
#   PYTHONPATH=bench/peers OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/results/torch-w2-grad-profile-20261205.py
import sys, torch
sys.argv=['x']
torch.set_num_threads(1)
import torch_worker as tw
s = tw.Setup("W2","f32",1000)
def grad():
    g = torch.autograd.grad(s.loss(), s.params)
    return g
for _ in range(30): grad()
from torch.profiler import profile, ProfilerActivity
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(50): grad()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))

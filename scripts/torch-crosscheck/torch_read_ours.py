import sys, torch, torch.nn as nn
from safetensors.torch import load_file
d = sys.argv[1]
cnn = nn.Sequential(nn.Conv2d(1,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32,64,3,padding=1), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136,128), nn.ReLU(), nn.Linear(128,10))
bn = nn.Sequential(nn.Conv2d(1,4,3,stride=2,padding=1), nn.BatchNorm2d(4), nn.Tanh(),
                   nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4*3*3,6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6,3))
ref = {k: v for k, v in load_file(f"{d}/cnn_torch.safetensors").items()}
ours = load_file(f"{d}/cnn_ours.safetensors")
print("cnn ours==torch tensors:", all(torch.equal(ref[k], ours[k]) for k in ref) and ref.keys() == ours.keys())
cnn.load_state_dict(ours, strict=True)
bno = load_file(f"{d}/bn_ours.safetensors")
print("bn dtypes", {k: str(v.dtype) for k, v in bno.items() if "num_batches" in k})
bn.load_state_dict(bno, strict=True)
bref = load_file(f"{d}/bn_torch.safetensors")
print("bn ours==torch tensors:", all(torch.equal(bref[k], bno[k]) for k in bref) and bref.keys() == bno.keys())
print("bytes identical cnn:", open(f"{d}/cnn_torch.safetensors","rb").read() == open(f"{d}/cnn_ours.safetensors","rb").read())
print("bytes identical bn:", open(f"{d}/bn_torch.safetensors","rb").read() == open(f"{d}/bn_ours.safetensors","rb").read())

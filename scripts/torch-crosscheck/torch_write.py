import sys, torch, torch.nn as nn
from safetensors.torch import save_file, load_file
torch.manual_seed(0)
d = sys.argv[1]
cnn = nn.Sequential(nn.Conv2d(1,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32,64,3,padding=1), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136,128), nn.ReLU(), nn.Linear(128,10))
bn = nn.Sequential(nn.Conv2d(1,4,3,stride=2,padding=1), nn.BatchNorm2d(4), nn.Tanh(),
                   nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4*3*3,6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6,3))
x = torch.arange(2*28*28, dtype=torch.float32).reshape(2,1,28,28).sin()
xb = torch.arange(5*1*12*12, dtype=torch.float32).reshape(5,1,12,12).cos()
bn.train(); bn(xb); bn(xb*0.5); bn.eval()
save_file(cnn.state_dict(), f"{d}/cnn_torch.safetensors", metadata={"format": "pt"})
save_file(bn.state_dict(), f"{d}/bn_torch.safetensors", metadata={"format": "pt"})
save_file({k: v.double() if v.is_floating_point() else v for k, v in cnn.state_dict().items()}, f"{d}/cnn_torch64.safetensors", metadata={"format": "pt"})
with torch.no_grad():
    print("cnn", " ".join(f"{v:.9g}" for v in cnn(x).flatten().tolist()))
    print("bn", " ".join(f"{v:.9g}" for v in bn(xb).flatten().tolist()))

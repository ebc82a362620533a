"""The PyTorch worker's shared instance, exact per-point traces and training unit (bench/peers/torch_worker.py
imports them): weights and data generated exactly as our SharedInstance.java does, so both sides compute on the
same network at the same parameters and their results can be checked against each other.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
import functorch

TRAIN_BATCH = 100      # E2's batch
TRAIN_STEPS = 10       # steps of one timed unit of op train
TRAIN_LR = 0.05        # E2's learning rate of its MLP and CNN
TRAIN_MOMENTUM = 0.9

# ---------------------------------------------------------------------------------------------------------
# The shared instance: weights, inputs and labels generated identically by our worker (SharedInstance.java)
# ---------------------------------------------------------------------------------------------------------

SHARED_WEIGHT_SEED, SHARED_INPUT_SEED, SHARED_LABEL_SEED = 1701, 1702, 1703
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def shared_uniform(seed, n):
    """The first n values of Java's new SplittableRandom(seed).nextDouble(), as float64.

    Value i (from 1) is (mix64(seed + i * 0x9E3779B97F4A7C15) >> 11) * 2^-53, mix64 being SplitMix64's
    finaliser (Steele, Lea and Flood, OOPSLA 2014); numpy's uint64 arithmetic wraps modulo 2^64 as Java's long.
    """
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def load_shared_weights(model):
    """Sets every parameter from one stream, in named_parameters() order: (2u - 1) / sqrt(fan_in of its layer)."""
    params = list(model.named_parameters())
    u = shared_uniform(SHARED_WEIGHT_SEED, sum(p.numel() for _, p in params))
    fan_in = {name.rsplit(".", 1)[0]: p[0].numel() for name, p in params if name.endswith("weight")}
    at = 0
    with torch.no_grad():
        for name, p in params:
            bound = 1.0 / math.sqrt(fan_in[name.rsplit(".", 1)[0]])
            v = (2.0 * u[at:at + p.numel()] - 1.0) * bound
            p.copy_(torch.from_numpy(v).reshape(p.shape))    # float64 -> the parameter's dtype, rounded
            at += p.numel()


def shared_data(sample, n, dtype):
    """n shared inputs [n, *sample] uniform in [0, 1) (torch dtype `dtype`) and labels floor(10 u)."""
    size = n * int(np.prod(sample))
    x = torch.from_numpy(shared_uniform(SHARED_INPUT_SEED, size)).reshape((n,) + tuple(sample)).to(dtype)
    y = torch.from_numpy(np.floor(10 * shared_uniform(SHARED_LABEL_SEED, n)).astype(np.int64))
    return x, y


class SharedSetup:
    """A model (as built, moved to `dtype`) at the shared weights with n shared points of shape `sample`."""

    def __init__(self, model, sample, dtype, n):
        self.model = model.to(dtype)
        load_shared_weights(self.model)
        self.x, self.y = shared_data(sample, n, dtype)
        self.fmodel, fparams = functorch.make_functional(self.model)
        self.fparams = tuple(p.detach() for p in fparams)
        self.params = list(self.model.parameters())


# ---------------------------------------------------------------------------------------------------------
# Exact per-point traces: per-class per-sample gradient norms with functorch
# ---------------------------------------------------------------------------------------------------------
#
# For a point with logits z = f(x; theta), p = softmax(z) and loss l = logsumexp(z) - z_y, the loss Hessian is
#   H = J^T H_CE J + sum_c (dl/dz_c) d^2 z_c / d theta^2,   J = dz/dtheta, H_CE = diag(p) - p p^T.
# For ReLU networks with max-pooling, z is piecewise linear in each single parameter (the others fixed), so the
# diagonal of every d^2 z_c / d theta^2 is zero almost everywhere: tr H = tr(J^T H_CE J) although H differs from
# the Gauss-Newton matrix off the diagonal. This is what our exact-ggn per-point method computes.
# With q = sqrt(p), S = diag(q) - p q^T is a square root of H_CE (S S^T = diag(p) - 2 p p^T + p (q.q) p^T and
# q.q = 1); its column c is q_c (e_c - p), and J^T q_c (e_c - p) = -sqrt(p_c) grad_theta l(x, c), the gradient of
# the loss the point would have with label c. Hence
#   tr H = sum_c ||J^T S e_c||^2 = sum_c p_c ||grad_theta l(x, c)||^2,
# the per-class per-sample gradient norms weighted by the softmax probabilities (independent of the label y).
# Two ways with functorch: `vmap_class_grads` takes, class by class, the per-sample gradients of l(x, c) with
# vmap(grad) over a chunk of points; `vmap_jacrev` takes per-sample logit Jacobians J (vmap(jacrev)), their
# 10 x 10 Gram matrices G = J J^T, and tr H = sum_ij (H_CE)_ij G_ij.

CLASS_GRADS_CHUNK = 100   # points per vmap(grad) call: one class's gradients, chunk x P values at a time
JACREV_CHUNK = 10         # points per vmap(jacrev) call: chunk x 10 x P values at a time


def _logits_one(s, params, xi):
    return s.fmodel(params, xi.unsqueeze(0)).squeeze(0)


def perpoint_class_grads(s, points, chunk=CLASS_GRADS_CHUNK):
    """Exact per-point traces sum_c p_c ||grad l(x, c)||^2 (see above), class by class, vmap(grad) over points."""
    k = s.model[-1].out_features

    def loss_onehot(params, xi, onehot):
        z = _logits_one(s, params, xi)
        return torch.logsumexp(z, 0) - (z * onehot).sum()

    per_sample = functorch.vmap(functorch.grad(loss_onehot), in_dims=(None, 0, 0))
    eye = torch.eye(k, dtype=s.x.dtype)
    out = []
    for start in range(0, points, chunk):
        xs = s.x[start:min(points, start + chunk)]
        b = xs.shape[0]
        with torch.no_grad():
            p = torch.softmax(s.fmodel(s.fparams, xs), 1)
        t = torch.zeros(b, dtype=xs.dtype)
        for c in range(k):
            g = per_sample(s.fparams, xs, eye[c].expand(b, k))
            t += p[:, c] * sum(gi.reshape(b, -1).pow(2).sum(1) for gi in g)
        out.append(t)
    return torch.cat(out)


def perpoint_jacrev(s, points, chunk=JACREV_CHUNK):
    """Exact per-point traces sum_ij (diag(p) - p p^T)_ij (J J^T)_ij with J from vmap(jacrev) over points."""
    jac = functorch.vmap(functorch.jacrev(lambda params, xi: _logits_one(s, params, xi)), in_dims=(None, 0))
    out = []
    for start in range(0, points, chunk):
        xs = s.x[start:min(points, start + chunk)]
        with torch.no_grad():
            p = torch.softmax(s.fmodel(s.fparams, xs), 1)
        js = jac(s.fparams, xs)
        b, k = p.shape
        gram = sum(torch.bmm(j.reshape(b, k, -1), j.reshape(b, k, -1).transpose(1, 2)) for j in js)
        h = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
        out.append((h * gram).sum((1, 2)))
    return torch.cat(out)


def op_perpoint_exact(s, points):
    """Variants vmap_class_grads and vmap_jacrev; each reply carries its traces (the driver checks them)."""
    stats = {}

    def variant(fn):
        def run():
            t = fn(s, points)
            stats["traces"] = [float(v) for v in t]
            return float(t.mean())
        return run
    return {"vmap_class_grads": variant(perpoint_class_grads), "vmap_jacrev": variant(perpoint_jacrev)}, stats


# ---------------------------------------------------------------------------------------------------------
# Training: K SGD steps with momentum, the plain loop
# ---------------------------------------------------------------------------------------------------------

class TrainSetup:
    """A model at the shared weights, one shared batch, and the initial state every unit restarts from."""

    def __init__(self, model, sample, dtype, batch):
        s = SharedSetup(model, sample, dtype, batch)
        self.model = s.model.train()
        self.x, self.y = s.x, s.y
        self.initial = [p.detach().clone() for p in self.model.parameters()]


def train_unit(t, steps):
    """One unit: copy the shared weights in, a fresh torch.optim.SGD(momentum 0.9), `steps` idiomatic steps."""
    with torch.no_grad():
        for p, p0 in zip(t.model.parameters(), t.initial):
            p.copy_(p0)
    opt = torch.optim.SGD(t.model.parameters(), lr=TRAIN_LR, momentum=TRAIN_MOMENTUM)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(t.model(t.x), t.y)
        loss.backward()
        opt.step()
    return float(loss)


def op_train(t, steps):
    return {"sgd_momentum": lambda: train_unit(t, steps)}, {"steps": steps}

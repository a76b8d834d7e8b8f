"""The DeepXDE half of `pinn_peer.py`: DeepXDE's own examples, run on its PyTorch backend.

Each problem of `peer_problems.PROBLEMS` is DeepXDE's example of the same name
(examples/pinn_forward/{heat, diffusion_1d, wave_1d, Klein_Gordon, Burgers, Allen_Cahn,
Lotka_Volterra, Euler_beam, Poisson_periodic_1d, Poisson_Robin_1d, Helmholtz_Dirichlet_2d}.py,
examples/pinn_inverse/{diffusion_1d_inverse, Lorenz_inverse}.py) ported to PyTorch line by
line, in one of two configurations:

- ``published``: the example's own settings: network, activation, initializer, point counts,
  optimizer, learning rate and decay, iteration counts (Adam then L-BFGS where it does so;
  L-BFGS at DeepXDE's default maxiter of 15000), feature and output transforms, loss weights.
- ``hard_lbfgs``: DeepXDE's own practice for accuracy: the Dirichlet and initial conditions
  built into the network by an output transform where the geometry allows it (as
  diffusion_1d_exactBC.py, Helmholtz_Dirichlet_2d.py, Allen_Cahn.py and Lotka_Volterra.py do),
  2000 Adam steps at 1e-3, then L-BFGS (maxiter 15000). Conditions that cannot be built in stay
  soft: Klein-Gordon's (its only lifting of the data is the solution itself), the periodic and
  Robin ends, Euler beam's u''(1) = u'''(1) = 0. Allen-Cahn and Lotka-Volterra are published
  hard with Adam then L-BFGS already: there the two differ only in Adam's budget (2000 steps
  instead of 40000 / 50000).

Float32 (DeepXDE's default), `torch.set_num_threads(os.cpu_count())` (``--threads`` for fewer:
on a machine busy with other work torch's threads contend, and a step can take 50 times longer).
The error is the relative L2 error over all fields on the problem's test grid against its
reference (`peer_problems`), never DeepXDE's own metrics; it is measured every `check_every`
iterations (and at the end of each stage) with the clock paused, so `seconds` is the wall time
of compile and training alone; `history` holds those (seconds, error) pairs.

Deviations from the published examples:

- DeepXDE's test sets, metrics and per-1000-step display are left out (``num_test`` unset,
  ``verbose=0``, one display per stage): they only log, and would cost time on the clock.
- L-BFGS runs in chunks of `check_every` iterations, at least 20 (``LBFGS_options
  ["iter_per_step"]``, DeepXDE's own mechanism, default 1000), so the error can be read between
  them; DeepXDE ends L-BFGS when a chunk makes a single iteration (stalled in float32), so
  ``iterations["lbfgs"]`` may fall short of the maxiter.
- lotka_volterra: the feature transform (t, sin t, ..., sin 6t) of the example and its docs
  (the TensorFlow code path); torch's FNN fixes its input width, so its first layer takes 7
  features (the example's commented PyTorch variant keeps only sin t, 1 feature).
- wave: DeepXDE 1.15's PyTorch backend lacks STMsFFN; where `dde.nn.STMsFFN` is missing the
  port below of DeepXDE's own later PyTorch implementation (deepxde/nn/pytorch/msffn.py) is
  used, with the example's sigmas, feature transform, loss weights 5 / initial losses,
  inverse-time decay and PDE resampling every step.
- Klein_Gordon: the example defines `cos` for TensorFlow and Paddle only; here `torch.cos`.
- lorenz_inverse: 25 evenly spaced observations of the solution (`peer_problems`) instead of
  the example's Lorenz.npz (not available offline); C1 = C2 = C3 = 1 at the start, as published.

    DDE_BACKEND=pytorch python benchmarks/peer_deepxde.py --problems heat burgers \
        --configs published hard_lbfgs --scale 0.01
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from peer_problems import (
    ALLEN_CAHN_D,
    BURGERS_NU,
    HEAT,
    HELMHOLTZ_K0,
    LORENZ_START,
    LV,
    PROBLEMS,
    WAVE,
    PeerProblem,
)

os.environ.setdefault("DDE_BACKEND", "pytorch")
try:
    import deepxde as dde
    import torch
except ImportError as error:  # run_deepxde then returns a "skipped" record
    dde = torch = None
    MISSING = f"deepxde/torch not importable ({error})"
else:
    MISSING = (None if dde.backend.backend_name == "pytorch"
               else f"DeepXDE's backend is {dde.backend.backend_name}, not pytorch")

PI = np.pi
CONFIGS = ("published", "hard_lbfgs")
LBFGS_MAXITER = 15000  # DeepXDE's default (dde.optimizers.set_LBFGS_options)
HARD_ADAM = 2000  # hard_lbfgs: Adam steps at 1e-3 before L-BFGS
TARGETS = ("1e-2", "1e-3")
_NN = dde.nn.NN if dde is not None else object
_Callback = dde.callbacks.Callback if dde is not None else object


@dataclass
class Port:
    """One example as DeepXDE writes it: its data and network, and how it trains them."""

    data: object
    net: object
    note: str  # the network, the points, the transforms
    adam: int
    lbfgs: int = 0  # L-BFGS maxiter after Adam; 0: none
    lr: float = 1e-3
    decay: tuple | None = None
    loss_weights: list | str | None = None  # "initial": 5 / the initial losses (wave_1d)
    resample: bool = False  # the PDE points redrawn every Adam step (wave_1d)
    variables: dict = field(default_factory=dict)  # an inverse problem's dde.Variables


class _STMsFFN(_NN):
    """DeepXDE's STMsFFN as its PyTorch backend writes it (added after 1.15): frozen Gaussian
    Fourier features of x and of t, one shared MLP over each, the x and t outputs multiplied
    pairwise and concatenated, then a linear layer (Wang, Wang & Perdikaris, CMAME 2021)."""

    def __init__(self, layer_sizes, activation, initializer, sigmas_x, sigmas_t):
        super().__init__()
        from deepxde.nn import activations, initializers

        self.activation = activations.get(activation)
        init, zeros = initializers.get(initializer), initializers.get("zeros")
        self.linears = torch.nn.ModuleList()
        for n_in, n_out in itertools.pairwise(layer_sizes[1:-1]):
            self.linears.append(torch.nn.Linear(n_in, n_out))
        self.dense = torch.nn.Linear(layer_sizes[-2] * len(sigmas_x) * len(sigmas_t),
                                     layer_sizes[-1])
        for linear in [*self.linears, self.dense]:
            init(linear.weight)
            zeros(linear.bias)

        def features(rows: int, sigma: float):
            b = torch.nn.Parameter(torch.empty(rows, layer_sizes[1] // 2), requires_grad=False)
            torch.nn.init.normal_(b, mean=0.0, std=sigma)
            return b

        self.b_x = torch.nn.ParameterList([features(layer_sizes[0] - 1, s) for s in sigmas_x])
        self.b_t = torch.nn.ParameterList([features(1, s) for s in sigmas_t])

    def _branch(self, x, b):
        y = torch.cat([torch.cos(x @ b), torch.sin(x @ b)], dim=1)
        for linear in self.linears:
            y = self.activation(linear(y))
        return y

    def forward(self, inputs):
        x = inputs if self._input_transform is None else self._input_transform(inputs)
        y_x = [self._branch(x[:, :-1], b) for b in self.b_x]
        y_t = [self._branch(x[:, -1:], b) for b in self.b_t]
        y = self.dense(torch.cat([a * b for a in y_x for b in y_t], dim=1))
        return y if self._output_transform is None else self._output_transform(inputs, y)


class _Recorder(_Callback):
    """The test error every `every` iterations and at the end of each stage, the clock paused
    while it is measured: `elapsed()` is the wall time of compile and training alone."""

    def __init__(self, problem: PeerProblem, every: int):
        super().__init__()
        self.problem, self.every, self.points = problem, every, problem.test_points()
        self.start, self.paused, self.last = time.perf_counter(), 0.0, 0
        self.adam_seconds, self.fresh = 0.0, False  # fresh: measured since the last step
        self.seconds: list[float] = []
        self.errors: list[float] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.start - self.paused

    def measure(self):
        now = time.perf_counter()
        self.seconds.append(round(now - self.start - self.paused, 3))
        self.errors.append(self.problem.error(self.model.predict(self.points)))
        self.last, self.fresh = self.model.train_state.step, True
        self.paused += time.perf_counter() - now

    def on_epoch_begin(self):
        self.fresh = False

    def on_epoch_end(self):
        if self.model.train_state.step - self.last >= self.every:
            self.measure()

    def on_train_end(self):
        if not self.fresh:
            self.measure()


class _LBFGSBudget(_Callback):
    """Shortens the last L-BFGS chunk so that the iterations stop at `maxiter`."""

    def __init__(self, maxiter: int):
        super().__init__()
        self.maxiter = maxiter

    def on_epoch_end(self):
        group = self.model.opt.param_groups[0]
        group["max_iter"] = max(1, min(group["max_iter"], self.maxiter - _lbfgs_done(self.model)))
        group["max_eval"] = group["max_iter"] * 5 // 4


def _lbfgs_done(model) -> int:
    return int(model.opt.state_dict()["state"][0]["n_iter"])


def _fnn(layers: list[int], initializer: str, activation: str = "tanh"):
    return dde.nn.FNN(layers, activation, initializer)


def _space_time(lo: float, hi: float, t1: float):
    return dde.geometry.GeometryXTime(dde.geometry.Interval(lo, hi),
                                      dde.geometry.TimeDomain(0, t1))


def _on_boundary(_, on_boundary):
    return on_boundary


def _on_initial(_, on_initial):
    return on_initial


def _constant(value: float):
    return lambda x: value  # one argument: DeepXDE reads a second one as auxiliary variables


def _side(value: float):
    """The filter of the end point x = value of an interval."""
    return lambda x, on_boundary: on_boundary and dde.utils.isclose(x[0], value)


# --- the examples: each builds DeepXDE's data and network, `hard` for the hard_lbfgs variant

def heat(hard: bool) -> Port:
    a, length, n = HEAT["a"], HEAT["L"], HEAT["n"]

    def pde(x, y):
        return dde.grad.jacobian(y, x, i=0, j=1) - a * dde.grad.hessian(y, x, i=0, j=0)

    geomtime = _space_time(0, length, 1)
    bcs = [] if hard else [
        dde.icbc.DirichletBC(geomtime, lambda x: 0, _on_boundary),
        dde.icbc.IC(geomtime, lambda x: np.sin(n * PI * x[:, 0:1] / length), _on_initial)]
    data = dde.data.TimePDE(geomtime, pde, bcs, num_domain=2540, num_boundary=80,
                            num_initial=160)
    net = _fnn([2] + [20] * 3 + [1], "Glorot normal")
    if hard:
        net.apply_output_transform(lambda x, y: torch.sin(n * PI * x[:, 0:1] / length)
                                   + x[:, 1:2] * x[:, 0:1] * (length - x[:, 0:1]) * y)
    return Port(data, net, "FNN 2-20x3-1 tanh Glorot normal, 2540+80+160 points"
                + (", hard: sin(n pi x/L) + t x (L-x) N" if hard else ""), 20000, LBFGS_MAXITER)


def _diffusion_pde(coefficient=1.0):
    def pde(x, y):
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        sin = torch.sin(PI * x[:, 0:1])
        return dy_t - coefficient * dy_xx + torch.exp(-x[:, 1:]) * (sin - PI**2 * sin)

    return pde


def _diffusion_func(x):
    return np.sin(PI * x[:, 0:1]) * np.exp(-x[:, 1:])


def _diffusion_hard(x, y):  # diffusion_1d_exactBC.py
    return x[:, 1:2] * (1 - x[:, 0:1] ** 2) * y + torch.sin(PI * x[:, 0:1])


def diffusion_1d(hard: bool) -> Port:
    """diffusion_1d.py, and diffusion_1d_exactBC.py (40 points, no boundary terms) when hard."""
    geomtime = _space_time(-1, 1, 1)
    if hard:
        data = dde.data.TimePDE(geomtime, _diffusion_pde(), [], num_domain=40)
    else:
        bcs = [dde.icbc.DirichletBC(geomtime, _diffusion_func, _on_boundary),
               dde.icbc.IC(geomtime, _diffusion_func, _on_initial)]
        data = dde.data.TimePDE(geomtime, _diffusion_pde(), bcs, num_domain=40,
                                num_boundary=20, num_initial=10)
    net = _fnn([2] + [32] * 3 + [1], "Glorot uniform")
    if hard:
        net.apply_output_transform(_diffusion_hard)
    points = "40 points, hard: t (1-x^2) N + sin pi x" if hard else "40+20+10 points"
    return Port(data, net, f"FNN 2-32x3-1 tanh Glorot uniform, {points}", 10000)


def wave(hard: bool) -> Port:
    a, c = WAVE["A"], WAVE["C"]

    def pde(x, y):
        return dde.grad.hessian(y, x, i=1, j=1) - c**2 * dde.grad.hessian(y, x, i=0, j=0)

    def func(x):
        x, t = np.split(x, 2, axis=1)
        return np.sin(PI * x) * np.cos(c * PI * t) + np.sin(a * PI * x) * np.cos(a * c * PI * t)

    geomtime = _space_time(0, 1, 1)
    bcs = [] if hard else [
        dde.icbc.DirichletBC(geomtime, func, _on_boundary),
        dde.icbc.IC(geomtime, func, _on_initial),
        dde.icbc.OperatorBC(geomtime, lambda x, y, _: dde.grad.jacobian(y, x, i=0, j=1),
                            lambda x, _: dde.utils.isclose(x[1], 0))]
    data = dde.data.TimePDE(geomtime, pde, bcs, num_domain=360, num_boundary=360,
                            num_initial=360)
    network = getattr(dde.nn, "STMsFFN", _STMsFFN)
    net = network([2] + [100] * 3 + [1], "tanh", "Glorot uniform", sigmas_x=[1],
                  sigmas_t=[1, 10])
    net.apply_feature_transform(lambda x: (x - 0.5) * 2 * np.sqrt(3))
    if hard:  # u = 0 at the ends; u and u_t at t = 0 by the t^2 factor
        net.apply_output_transform(
            lambda x, y: torch.sin(PI * x[:, 0:1]) + torch.sin(a * PI * x[:, 0:1])
            + x[:, 0:1] * (1 - x[:, 0:1]) * x[:, 1:2] ** 2 * y)
    note = (f"STMsFFN 2-100x3-1 tanh Glorot uniform sigmas_x [1] sigmas_t [1, 10] "
            f"({'DeepXDE' if network is not _STMsFFN else 'ported'}), 360+360+360 points"
            + (", hard: sin pi x + sin A pi x + x (1-x) t^2 N" if hard
               else ", loss weights 5 / initial losses, PDE points resampled every step"))
    return Port(data, net, note, 10000, decay=("inverse time", 2000, 0.9),
                loss_weights="initial", resample=True)


def klein_gordon(hard: bool) -> Port:
    """Soft in both configurations: the only lifting of its data is the solution x cos t."""

    def pde(x, y):
        dy_tt = dde.grad.hessian(y, x, i=1, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        x, t = x[:, 0:1], x[:, 1:2]
        return dy_tt - dy_xx + y**2 + x * torch.cos(t) - x**2 * torch.cos(t) ** 2

    def func(x):
        return x[:, 0:1] * np.cos(x[:, 1:2])

    geomtime = _space_time(-1, 1, 10)
    bcs = [dde.icbc.DirichletBC(geomtime, func, _on_boundary),
           dde.icbc.IC(geomtime, func, _on_initial),
           dde.icbc.OperatorBC(geomtime, lambda x, y, _: dde.grad.jacobian(y, x, i=0, j=1),
                               _on_initial)]
    data = dde.data.TimePDE(geomtime, pde, bcs, num_domain=30000, num_boundary=1500,
                            num_initial=1500)
    net = _fnn([2] + [40] * 2 + [1], "Glorot uniform")
    return Port(data, net, "FNN 2-40x2-1 tanh Glorot uniform, 30000+1500+1500 points, soft",
                20000, LBFGS_MAXITER, decay=("inverse time", 3000, 0.9))


def burgers(hard: bool) -> Port:
    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        return dy_t + y * dy_x - BURGERS_NU * dde.grad.hessian(y, x, i=0, j=0)

    geomtime = _space_time(-1, 1, 0.99)
    bcs = [] if hard else [
        dde.icbc.DirichletBC(geomtime, lambda x: 0, _on_boundary),
        dde.icbc.IC(geomtime, lambda x: -np.sin(PI * x[:, 0:1]), _on_initial)]
    data = dde.data.TimePDE(geomtime, pde, bcs, num_domain=2540, num_boundary=80,
                            num_initial=160)
    net = _fnn([2] + [20] * 3 + [1], "Glorot normal")
    if hard:
        net.apply_output_transform(lambda x, y: -torch.sin(PI * x[:, 0:1])
                                   + x[:, 1:2] * (1 - x[:, 0:1] ** 2) * y)
    return Port(data, net, "FNN 2-20x3-1 tanh Glorot normal, 2540+80+160 points"
                + (", hard: -sin pi x + t (1-x^2) N" if hard else ""), 15000, LBFGS_MAXITER)


def allen_cahn(hard: bool) -> Port:
    """Published hard: u = x^2 cos pi x + t (1 - x^2) N."""

    def pde(x, y):
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t - ALLEN_CAHN_D * dy_xx - 5 * (y - y**3)

    data = dde.data.TimePDE(_space_time(-1, 1, 1), pde, [], num_domain=8000,
                            num_boundary=400, num_initial=800)
    net = _fnn([2] + [20] * 3 + [1], "Glorot normal")
    net.apply_output_transform(lambda x, y: x[:, 0:1] ** 2 * torch.cos(PI * x[:, 0:1])
                               + x[:, 1:2] * (1 - x[:, 0:1] ** 2) * y)
    return Port(data, net, "FNN 2-20x3-1 tanh Glorot normal, 8000+400+800 points, "
                "hard: x^2 cos pi x + t (1-x^2) N", 40000, LBFGS_MAXITER)


def lotka_volterra(hard: bool) -> Port:
    """Published hard: (x, y) = start + tanh(t) N, features (t, sin t, ..., sin 6t)."""
    ub, rb = LV["ub"], LV["rb"]
    start = LV["start"]

    def ode_system(x, y):
        r, p = y[:, 0:1], y[:, 1:2]
        dr_t = dde.grad.jacobian(y, x, i=0)
        dp_t = dde.grad.jacobian(y, x, i=1)
        return [dr_t - 1 / ub * rb * (2.0 * ub * r - 0.04 * ub * r * ub * p),
                dp_t - 1 / ub * rb * (0.02 * r * ub * p * ub - 1.06 * p * ub)]

    data = dde.data.PDE(dde.geometry.TimeDomain(0, 1.0), ode_system, [], 3000, 2)
    net = _fnn([7] + [64] * 6 + [2], "Glorot normal")
    net.apply_feature_transform(lambda t: torch.cat([t] + [torch.sin(k * t)
                                                           for k in range(1, 7)], dim=1))
    net.apply_output_transform(lambda t, y: torch.cat(
        [y[:, 0:1] * torch.tanh(t) + start[0], y[:, 1:2] * torch.tanh(t) + start[1]], dim=1))
    return Port(data, net, "FNN (7 features)-64x6-2 tanh Glorot normal, 3000+2 points, "
                "hard: start + tanh(t) N", 50000, LBFGS_MAXITER)


def euler_beam(hard: bool) -> Port:
    def ddy(x, y):
        return dde.grad.hessian(y, x)

    def dddy(x, y):
        return dde.grad.jacobian(ddy(x, y), x)

    def pde(x, y):
        return dde.grad.hessian(ddy(x, y), x) + 1

    def func(x):
        return -(x**4) / 24 + x**3 / 6 - x**2 / 4

    geom = dde.geometry.Interval(0, 1)
    bcs = [dde.icbc.OperatorBC(geom, lambda x, y, _: ddy(x, y), _side(1)),
           dde.icbc.OperatorBC(geom, lambda x, y, _: dddy(x, y), _side(1))]
    if not hard:
        bcs = [dde.icbc.DirichletBC(geom, lambda x: 0, _side(0)),
               dde.icbc.NeumannBC(geom, lambda x: 0, _side(0))] + bcs
    data = dde.data.PDE(geom, pde, bcs, num_domain=10, num_boundary=2)
    net = _fnn([1] + [20] * 3 + [1], "Glorot uniform")
    if hard:  # u(0) = u'(0) = 0; u''(1) = u'''(1) = 0 stay soft
        net.apply_output_transform(lambda x, y: x**2 * y)
    return Port(data, net, "FNN 1-20x3-1 tanh Glorot uniform, 10+2 points"
                + (", hard: x^2 N, u''(1) = u'''(1) = 0 soft" if hard else ""), 10000)


def _poisson_1d(pde, right, hard: bool, note: str) -> Port:
    """Poisson_periodic_1d / Poisson_Robin_1d: u(-1) = 0 and a soft condition `right`."""
    geom = dde.geometry.Interval(-1, 1)
    bcs = [right(geom)] if hard else [
        dde.icbc.DirichletBC(geom, lambda x: 0, _side(-1)), right(geom)]
    data = dde.data.PDE(geom, pde, bcs, 16, 2)
    net = _fnn([1] + [50] * 3 + [1], "Glorot uniform")
    if hard:
        net.apply_output_transform(lambda x, y: (1 + x) * y)
    return Port(data, net, "FNN 1-50x3-1 tanh Glorot uniform, 16+2 points"
                + (f", hard: (1+x) N, {note} soft" if hard else ""), 10000)


def poisson_periodic(hard: bool) -> Port:
    def pde(x, y):
        return -dde.grad.hessian(y, x) - PI**2 * torch.sin(PI * x)

    return _poisson_1d(pde, lambda geom: dde.icbc.PeriodicBC(geom, 0, _side(1)), hard,
                       "periodic")


def poisson_robin(hard: bool) -> Port:
    def pde(x, y):
        return dde.grad.hessian(y, x) - 2

    return _poisson_1d(pde, lambda geom: dde.icbc.RobinBC(geom, lambda x, y: y, _side(1)),
                       hard, "Robin u'(1) = u(1)")


def helmholtz2d(hard: bool) -> Port:
    """Published with hard_constraint = True: u = x (1-x) y (1-y) N; sin units."""
    k0 = HELMHOLTZ_K0

    def pde(x, y):
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        dy_yy = dde.grad.hessian(y, x, i=1, j=1)
        f = k0**2 * torch.sin(k0 * x[:, 0:1]) * torch.sin(k0 * x[:, 1:2])
        return -dy_xx - dy_yy - k0**2 * y - f

    nx_train = int(1 / (1 / 2 / 10))  # wavelength 1/n over precision_train = 10
    data = dde.data.PDE(dde.geometry.Rectangle([0, 0], [1, 1]), pde, [],
                        num_domain=nx_train**2, num_boundary=4 * nx_train)
    net = _fnn([2] + [150] * 3 + [1], "Glorot uniform", "sin")
    net.apply_output_transform(
        lambda x, y: x[:, 0:1] * (1 - x[:, 0:1]) * x[:, 1:2] * (1 - x[:, 1:2]) * y)
    return Port(data, net, f"FNN 2-150x3-1 sin Glorot uniform, {nx_train**2}+{4 * nx_train} "
                "points, hard: x (1-x) y (1-y) N", 5000)


def diffusion_inverse(hard: bool) -> Port:
    """C starts at 2; the 10 observations at t = 1 as published."""
    observe_x, observe_u = PROBLEMS["diffusion_inverse"].observations()
    C = dde.Variable(2.0)
    geomtime = _space_time(-1, 1, 1)
    bcs = [dde.icbc.PointSetBC(observe_x, observe_u, component=0)]
    if not hard:
        bcs = [dde.icbc.DirichletBC(geomtime, _diffusion_func, _on_boundary),
               dde.icbc.IC(geomtime, _diffusion_func, _on_initial)] + bcs
    data = dde.data.TimePDE(geomtime, _diffusion_pde(C), bcs, num_domain=40, num_boundary=20,
                            num_initial=10, anchors=observe_x)
    net = _fnn([2] + [32] * 3 + [1], "Glorot uniform")
    if hard:
        net.apply_output_transform(_diffusion_hard)
    return Port(data, net, "FNN 2-32x3-1 tanh Glorot uniform, 40+20+10 points + 10 anchors"
                + (", hard: t (1-x^2) N + sin pi x" if hard else ""), 50000,
                variables={"C": C})


def lorenz_inverse(hard: bool) -> Port:
    """C1 = C2 = C3 = 1 at the start; 25 evenly spaced observations of (x, y, z)."""
    observe_t, observe_y = PROBLEMS["lorenz_inverse"].observations()
    variables = {name: dde.Variable(1.0) for name in ("C1", "C2", "C3")}
    c1, c2, c3 = variables.values()

    def lorenz_system(x, y):
        y1, y2, y3 = y[:, 0:1], y[:, 1:2], y[:, 2:]
        return [dde.grad.jacobian(y, x, i=0) - c1 * (y2 - y1),
                dde.grad.jacobian(y, x, i=1) - y1 * (c2 - y3) + y2,
                dde.grad.jacobian(y, x, i=2) - y1 * y2 + c3 * y3]

    geom = dde.geometry.TimeDomain(0, 3)
    bcs = [dde.icbc.PointSetBC(observe_t, observe_y[:, i:i + 1], component=i) for i in range(3)]
    if not hard:
        bcs = [dde.icbc.IC(geom, _constant(v), _on_initial, component=i)
               for i, v in enumerate(LORENZ_START)] + bcs
    data = dde.data.PDE(geom, lorenz_system, bcs, num_domain=400, num_boundary=2,
                        anchors=observe_t)
    net = _fnn([1] + [40] * 3 + [3], "Glorot uniform")
    if hard:
        start = torch.tensor(LORENZ_START, dtype=torch.get_default_dtype())
        net.apply_output_transform(lambda t, y: start + torch.tanh(t) * y)
    return Port(data, net, "FNN 1-40x3-3 tanh Glorot uniform, 400+2 points + 25 anchors"
                + (", hard: start + tanh(t) N" if hard else ""), 20000, LBFGS_MAXITER,
                variables=variables)


EXAMPLES: dict[str, Callable[[bool], Port]] = {
    "heat": heat, "diffusion_1d": diffusion_1d, "wave": wave, "klein_gordon": klein_gordon,
    "burgers": burgers, "allen_cahn": allen_cahn, "lotka_volterra": lotka_volterra,
    "euler_beam": euler_beam, "poisson_periodic": poisson_periodic,
    "poisson_robin": poisson_robin, "helmholtz2d": helmholtz2d,
    "diffusion_inverse": diffusion_inverse, "lorenz_inverse": lorenz_inverse,
}


def _first_time(seconds: list[float], errors: list[float], target: str) -> float | None:
    reached = [s for s, e in zip(seconds, errors, strict=True) if e <= float(target)]
    return reached[0] if reached else None


def _train(model, port: Port, adam: int, lbfgs: int, recorder: _Recorder) -> int:
    """Adam for `adam` steps, then L-BFGS up to `lbfgs` iterations in chunks of about
    `recorder.every`; returns the L-BFGS iterations done."""
    external = list(port.variables.values()) or None
    weights = port.loss_weights
    if weights == "initial":  # wave_1d's get_initial_loss: 5 / the losses before training
        model.compile("adam", lr=port.lr)
        history, _ = model.train(iterations=0, verbose=0)
        weights = list(5 / np.asarray(history.loss_train[0]))
    if adam:
        model.compile("adam", lr=port.lr, decay=port.decay, loss_weights=weights,
                      external_trainable_variables=external)
        callbacks = [recorder] + ([dde.callbacks.PDEPointResampler(period=1)]
                                  if port.resample else [])
        model.train(iterations=adam, display_every=adam, verbose=0, callbacks=callbacks)
    recorder.adam_seconds = recorder.elapsed()
    if not lbfgs:
        return 0
    dde.optimizers.config.set_LBFGS_options(maxiter=lbfgs)
    # at least 20 per chunk: DeepXDE stops L-BFGS when a chunk makes a single iteration,
    # which a short chunk's line searches (max_eval = 1.25 chunk) can force
    chunk = min(lbfgs, max(20, recorder.every))
    options = dde.optimizers.config.LBFGS_options
    options["iter_per_step"], options["fun_per_step"] = chunk, chunk * 5 // 4
    model.compile("L-BFGS", loss_weights=weights, external_trainable_variables=external)
    model.train(verbose=0, callbacks=[recorder, _LBFGSBudget(lbfgs)])
    return _lbfgs_done(model)


def run_deepxde(name: str, config: str = "published", scale: float = 1.0, seed: int = 0,
                check_every: int | None = None, threads: int | None = None) -> dict:
    """DeepXDE's example `name` in `config`, its iteration counts times `scale`: the error on
    the shared test grid, its history, the wall time (error checks excluded), the settings.
    torch uses `threads` threads, by default one per CPU."""
    record = {"impl": "deepxde", "problem": name, "config": config}
    if MISSING:
        return {**record, "skipped": MISSING}
    if config not in CONFIGS:
        raise ValueError(f"config {config!r} is not one of {CONFIGS}")
    problem = PROBLEMS[name]
    torch.set_num_threads(threads or os.cpu_count() or 1)
    dde.config.set_random_seed(seed)
    port = EXAMPLES[name](config == "hard_lbfgs")
    if config == "hard_lbfgs":
        port = replace(port, adam=HARD_ADAM, lbfgs=LBFGS_MAXITER, lr=1e-3, decay=None,
                       loss_weights=None, resample=False)
    adam = max(1, round(port.adam * scale))
    lbfgs = max(1, round(port.lbfgs * scale)) if port.lbfgs else 0
    recorder = _Recorder(problem, check_every or max(1, (adam + lbfgs) // 20))
    model = dde.Model(port.data, port.net)
    recorder.start = time.perf_counter()
    lbfgs_done = _train(model, port, adam, lbfgs, recorder)
    seconds = recorder.elapsed()

    final = problem.error(model.predict(problem.test_points()))
    decay = f" {port.decay[0]} decay {port.decay[1:]}" if port.decay else ""
    record.update({
        "scale": scale, "seed": seed, "relative_l2": final,
        "best_relative_l2": min((e for e in recorder.errors + [final] if math.isfinite(e)),
                                default=final), "seconds": round(seconds, 3),
        "adam_seconds": round(recorder.adam_seconds, 3),
        **{f"time_to_{t}": _first_time(recorder.seconds, recorder.errors, t) for t in TARGETS},
        "history": {"seconds": recorder.seconds, "relative_l2": recorder.errors},
        "iterations": {"adam": adam, "lbfgs": lbfgs_done, "lbfgs_max": lbfgs},
        "settings": f"{port.note}; Adam {adam} x lr {port.lr}{decay}"
                    + (f", then L-BFGS maxiter {lbfgs}" if lbfgs else "") + ", float32",
    })
    if problem.truth:
        found = {key: float(value.item()) for key, value in port.variables.items()}
        record.update(coefficients=found, coefficient_error=problem.coefficient_error(found))
    return {**record, "deepxde_version": dde.__version__, "torch_version": torch.__version__,
            "threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(EXAMPLES), choices=list(EXAMPLES))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies every iteration count (Adam and L-BFGS)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check-every", type=int, default=None,
                        help="iterations between test-error checks (default: 1/20 of all)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: one per CPU; fewer on a busy machine)")
    args = parser.parse_args(argv)
    for name in args.problems:
        for config in args.configs:
            record = run_deepxde(name, config, args.scale, args.seed, args.check_every,
                                 args.threads)
            if "history" in record:
                record["history"] = len(record["history"]["seconds"])
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

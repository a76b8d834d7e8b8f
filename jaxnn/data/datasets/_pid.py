"""A particle-identification toy: charged pions against kaons in a tracking detector.

A track's mass is not measured directly. A spectrometer measures its momentum p from the
curvature in a magnetic field, and the velocity-sensitive detectors measure functions of
beta = p / E: the specific energy loss dE/dx in a gas (Bethe-Bloch) and the time of flight over a
fixed path. Velocity measurements alone cannot tell a slow pion from a fast kaon; momentum
and velocity together give the mass. So the three variables are correlated through the
momentum of each track, and the classes separate along curved bands (the dE/dx-versus-p plot
of every nuclear-physics lecture): a linear cut is imperfect, a non-linear classifier does
better, and neither is perfect at high momentum where the bands merge.

    x, y = pid_toy(20000, seed=0)          # x: (20000, 3), columns PID_FEATURES; y: 1 = kaon
"""

from __future__ import annotations

import numpy as np

from jaxnn.data.datasets._xor import check_count, check_seed

PID_FEATURES = ("momentum", "dEdx", "time_of_flight")
"""Column names of `pid_toy`'s x: p in GeV/c, dE/dx in units of minimum ionization, TOF in ns."""
PID_CLASSES = ("pion", "kaon")
"""Class names by label: 0 = pion (background), 1 = kaon (signal)."""

PION_MASS = 0.13957  # GeV/c^2
KAON_MASS = 0.49368  # GeV/c^2
SPEED_OF_LIGHT = 0.299792458  # m/ns

MINIMUM_MOMENTUM = 0.2  # GeV/c: softer tracks curl up before reaching the time-of-flight wall
PION_SPECTRUM_SCALE = 0.7  # GeV/c, scale of the Gamma(2) momentum spectrum above the minimum
KAON_SPECTRUM_HARDENING = 1.3  # heavier particles have harder spectra (m_T scaling)
KAON_FRACTION_RANGE = (0.15, 0.35)  # the kaon abundance is drawn from the seed in this range
MOMENTUM_RESOLUTION = 0.01  # relative, sigma_p / p
DEDX_RESOLUTION = 0.08  # relative, sigma / (dE/dx), a gas TPC
FLIGHT_PATH = 2.0  # m
TIME_RESOLUTION = 0.15  # ns
_ELECTRON_MASS_OVER_EXCITATION = 2 * 0.511e6 / 188.0  # 2 m_e c^2 / I for argon (I = 188 eV)


def bethe_bloch(beta_gamma: np.ndarray) -> np.ndarray:
    """Mean energy loss of a singly charged particle in argon, in units of minimum ionization.

    ``dE/dx ~ (1/beta^2) [ln(2 m_e c^2 beta^2 gamma^2 / I) - beta^2]`` (Bethe-Bloch with
    T_max ~ 2 m_e c^2 beta^2 gamma^2, no density or shell corrections), divided by its value at
    the minimum, beta gamma ~ 3.5.

    Args:
        beta_gamma: p / (m c), any shape, > 0.
    """

    def loss(bg: np.ndarray) -> np.ndarray:
        beta2 = bg**2 / (1.0 + bg**2)
        return (np.log(_ELECTRON_MASS_OVER_EXCITATION * bg**2) - beta2) / beta2

    grid = np.linspace(2.0, 6.0, 401)
    return loss(np.asarray(beta_gamma, np.float64)) / loss(grid).min()


def pid_toy(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pions (label 0) and kaons (label 1) with three correlated measured variables per track.

    Each track draws a species (the kaon fraction is itself drawn from the seed, uniformly in
    [0.15, 0.35], so abundances look unknown as in data), then a true momentum from
    ``0.2 GeV/c + Gamma(2, 0.7 GeV/c)`` (x1.3 harder for kaons). The measurements, with
    Gaussian resolutions:

    - ``momentum``: p in GeV/c from the track curvature, 1 % resolution.
    - ``dEdx``: Bethe-Bloch energy loss in argon (`bethe_bloch`) in units of minimum ionization,
      8 % resolution. Separates pions and kaons below ~0.8 GeV/c.
    - ``time_of_flight``: ``L / (beta c)`` over L = 2 m in ns, 0.15 ns resolution. Separates up
      to ~2 GeV/c.

    Within a species all three move with the momentum, so they are correlated. Pearson
    correlations (pions / kaons): p and time of flight -0.35 / -0.54 (faster tracks arrive
    sooner), p and dE/dx +0.67 / -0.20 (pions sit on the relativistic rise, kaons on the 1/beta^2
    fall), dE/dx and time of flight -0.26 / +0.85.

    Args:
        n: number of tracks (>= 1).
        seed: seed of every random draw (species fraction, momenta, resolutions).

    Returns:
        ``(x, y)``: ``x: (n, 3)`` float32 with columns `PID_FEATURES`, ``y: (n,)`` int32
        (0 pion, 1 kaon; names in `PID_CLASSES`).
    """
    n = check_count(n, "pid_toy(n=...)")
    seed = check_seed(seed, "pid_toy")
    rng = np.random.default_rng(seed)
    kaon_fraction = rng.uniform(*KAON_FRACTION_RANGE)
    y = (rng.random(n) < kaon_fraction).astype(np.int32)
    mass = np.where(y == 1, KAON_MASS, PION_MASS)
    scale = PION_SPECTRUM_SCALE * np.where(y == 1, KAON_SPECTRUM_HARDENING, 1.0)
    momentum = MINIMUM_MOMENTUM + rng.gamma(2.0, scale)

    measured_momentum = momentum * (1.0 + MOMENTUM_RESOLUTION * rng.standard_normal(n))
    dedx = bethe_bloch(momentum / mass) * (1.0 + DEDX_RESOLUTION * rng.standard_normal(n))
    inverse_beta = np.sqrt(1.0 + (mass / momentum) ** 2)
    time_of_flight = (
        FLIGHT_PATH / SPEED_OF_LIGHT * inverse_beta + TIME_RESOLUTION * rng.standard_normal(n)
    )
    x = np.stack([measured_momentum, dedx, time_of_flight], axis=1).astype(np.float32)
    return x, y

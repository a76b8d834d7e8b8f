"""jaxnn: pure-function neural networks and one jit-compiled training loop, for physicists.

    import jaxnn, optax
    model = jaxnn.MLP([200, 100, 2], activation="relu")
    result = jaxnn.fit(model, (x, y), optimizer=optax.adam(1e-3), epochs=20, batch_size=1024,
                       validation_split=0.1, metrics=["accuracy", "auc"])
    scores = jaxnn.predict_proba(model, result.params, x_test)[:, 1]

Submodules: `models`, `losses`, `train` (fit/evaluate/predict), `loop` (the one training loop),
`data`, `datasets`, `metrics`, `plot`, `checkpoint`, `parallel`.
"""

from jaxnn import checkpoint, data, datasets, losses, metrics, models, parallel
from jaxnn.checkpoint import load_params, save_params
from jaxnn.loop import EarlyStopping, TrainResult, TrainState, train_loop
from jaxnn.models import CNN, MLP, LogisticRegression, Maxout, count_params
from jaxnn.train import evaluate, fit, predict, predict_proba

__version__ = "0.1.0"

__all__ = [
    "CNN",
    "MLP",
    "EarlyStopping",
    "LogisticRegression",
    "Maxout",
    "TrainResult",
    "TrainState",
    "checkpoint",
    "count_params",
    "data",
    "datasets",
    "evaluate",
    "fit",
    "load_params",
    "losses",
    "metrics",
    "models",
    "parallel",
    "predict",
    "predict_proba",
    "save_params",
    "train_loop",
]


def __getattr__(name: str):
    # plot pulls in matplotlib: import it on first use (jaxnn.plot) rather than at start-up.
    if name == "plot":
        import importlib

        return importlib.import_module("jaxnn.plot")
    raise AttributeError(f"module 'jaxnn' has no attribute {name!r}")

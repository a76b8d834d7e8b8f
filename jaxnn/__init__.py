"""jaxnn: pure-function neural networks and one jit-compiled training loop, for physicists.

    import jaxnn, optax
    model = jaxnn.MLP([200, 100, 2], activation="relu")
    result = jaxnn.fit(model, (x, y), optimizer=optax.adam(1e-3), epochs=20, batch_size=1024,
                       validation_split=0.1, metrics=["accuracy", "auc"])
    scores = jaxnn.predict_proba(model, result.params, x_test)[:, 1]

Submodules: `models`, `losses`, `train` (fit/evaluate/predict), `loop` (the one training loop), `step`, `callbacks`,
`data`, `datasets`, `metrics`, `plot`, `checkpoint`, `parallel`.
"""

from jaxnn import callbacks, checkpoint, data, datasets, layers, losses, metrics, models, parallel
from jaxnn.callbacks import Callback, Checkpoint, DataRefresh, Progress
from jaxnn.checkpoint import load_params, save_params
from jaxnn.compile_cache import use_persistent_cache
from jaxnn.layers import Activation, AvgPool, Conv, Dense, Dropout, Flatten, MaxPool, Sequential
from jaxnn.loop import EarlyStopping, train_loop
from jaxnn.many import GridResult, ManyResult, fit_many
from jaxnn.model_summary import summary
from jaxnn.models import CNN, MLP, LogisticRegression, Maxout, count_params
from jaxnn.run import TrainResult
from jaxnn.saving import load_model, save_model
from jaxnn.step import TrainState
from jaxnn.train import evaluate, fit, predict, predict_proba
from jaxnn.uncertainty import Uncertainty, predict_ensemble, predict_mc_dropout

__version__ = "0.1.0"

__all__ = [
    "CNN",
    "MLP",
    "Activation",
    "AvgPool",
    "Callback",
    "Checkpoint",
    "Conv",
    "DataRefresh",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Flatten",
    "GridResult",
    "LogisticRegression",
    "ManyResult",
    "MaxPool",
    "Maxout",
    "Progress",
    "Sequential",
    "TrainResult",
    "TrainState",
    "Uncertainty",
    "callbacks",
    "checkpoint",
    "count_params",
    "data",
    "datasets",
    "evaluate",
    "fit",
    "fit_many",
    "layers",
    "load_model",
    "load_params",
    "losses",
    "metrics",
    "models",
    "parallel",
    "predict",
    "predict_ensemble",
    "predict_mc_dropout",
    "predict_proba",
    "save_model",
    "save_params",
    "summary",
    "train_loop",
    "use_persistent_cache",
]


def __getattr__(name: str):
    # plot pulls in matplotlib: import it on first use (jaxnn.plot) rather than at start-up.
    if name == "plot":
        import importlib

        return importlib.import_module("jaxnn.plot")
    raise AttributeError(f"module 'jaxnn' has no attribute {name!r}")

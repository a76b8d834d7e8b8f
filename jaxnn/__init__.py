"""jaxnn: pure-function neural networks and one jit-compiled training loop, for physicists.

    import jaxnn, optax
    model = jaxnn.MLP([200, 100, 2], activation="relu")
    result = jaxnn.fit(model, (x, y), optimizer=optax.adam(1e-3), epochs=20, batch_size=1024,
                       validation_split=0.1, metrics=["accuracy", "auc"])
    scores = jaxnn.predict_proba(model, result.params, x_test)[:, 1]

Subpackages, one per role (each re-exports its public names): `models` (MLP, CNN, layers,
Sequential, summary, NNX/Equinox adapters), `training` (the one compiled loop, EarlyStopping,
callbacks, the compile cache), `supervised` (fit, evaluate, predict, fit_many, uncertainty),
`data` (splits, scalers, encoders, batching; `data.datasets`, also `jaxnn.datasets`),
`saving` (parameters, whole models, checkpoints), `plot`; modules `losses`, `metrics`,
`parallel` (device meshes) and `validate` (the argument checks jaxnn and pinn share).
"""

from jaxnn import data, losses, metrics, models, parallel, saving, supervised, training, validate
from jaxnn.data import datasets
from jaxnn.models import (
    CNN,
    MLP,
    Activation,
    AvgPool,
    Conv,
    Dense,
    Dropout,
    Flatten,
    LogisticRegression,
    MaxPool,
    Maxout,
    Sequential,
    count_params,
    summary,
)
from jaxnn.saving import load_model, load_params, save_model, save_params
from jaxnn.supervised import (
    GridResult,
    ManyResult,
    Uncertainty,
    evaluate,
    fit,
    fit_many,
    predict,
    predict_ensemble,
    predict_mc_dropout,
    predict_proba,
)
from jaxnn.training import (
    Callback,
    Checkpoint,
    DataRefresh,
    EarlyStopping,
    Progress,
    TrainResult,
    TrainState,
    train_loop,
    use_persistent_cache,
)

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
    "count_params",
    "data",
    "datasets",
    "evaluate",
    "fit",
    "fit_many",
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
    "saving",
    "save_model",
    "save_params",
    "summary",
    "supervised",
    "training",
    "train_loop",
    "use_persistent_cache",
    "validate",
]


def __getattr__(name: str):
    # plot pulls in matplotlib: import it on first use (jaxnn.plot) rather than at start-up.
    if name == "plot":
        import importlib

        return importlib.import_module("jaxnn.plot")
    raise AttributeError(f"module 'jaxnn' has no attribute {name!r}")

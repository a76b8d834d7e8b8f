"""Models: pure-function Flax modules (`MLP`, `CNN`, `LogisticRegression`, `Maxout`), Keras-style
layers and `Sequential`, `summary`, and adapters that bring Flax NNX and Equinox models into the
same pure ``apply(params, x)`` form.

    model = jaxnn.models.MLP([64, 64, 2], activation="relu", dropout=0.1)
    params = model.init(jax.random.key(0), x[:1]); y = model.apply(params, x)
"""

from jaxnn.models._adapters import EquinoxModel, NNXModel, adapt, merge
from jaxnn.models._layers import (
    LAYERS,
    Activation,
    AvgPool,
    Conv,
    Dense,
    Dropout,
    Flatten,
    MaxPool,
    Sequential,
)
from jaxnn.models._models import (
    ACTIVATIONS,
    CNN,
    MLP,
    Conv2D,
    LogisticRegression,
    Maxout,
    accepts_train,
    check_input,
    count_params,
    get_activation,
    get_initializer,
)
from jaxnn.models._summary import ModelSummary, summary

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "CNN",
    "MLP",
    "Activation",
    "AvgPool",
    "Conv",
    "Conv2D",
    "Dense",
    "Dropout",
    "EquinoxModel",
    "Flatten",
    "LogisticRegression",
    "MaxPool",
    "Maxout",
    "ModelSummary",
    "NNXModel",
    "Sequential",
    "accepts_train",
    "adapt",
    "check_input",
    "count_params",
    "get_activation",
    "get_initializer",
    "merge",
    "summary",
]

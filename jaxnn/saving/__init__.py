"""Saving: parameters (`save_params`, `load_params`), whole models, architecture and parameters
(`save_model`, `load_model`), and the atomic, resumable training checkpoints that
`jaxnn.Checkpoint` and ``fit(checkpoint_dir=...)`` write (`TrainingCheckpoints`).
"""

from jaxnn.saving._checkpoint import Restored, TrainingCheckpoints
from jaxnn.saving._params import FORMAT_VERSION, load_params, save_params
from jaxnn.saving._models import load_model, model_config, model_from_config, save_model

__all__ = [
    "FORMAT_VERSION",
    "Restored",
    "TrainingCheckpoints",
    "load_model",
    "load_params",
    "model_config",
    "model_from_config",
    "save_model",
    "save_params",
]

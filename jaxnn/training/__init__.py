"""The one training loop: the compiled step and chunk of epochs (`make_train_step`,
`make_epoch`, `Program`), the one host loop (`HostLoop`: history, stop reasons, callbacks,
checkpoints, resume) with its record of a run (`Run`, and `ManyRun` for many models in one
vmapped program), `train_loop`, `EarlyStopping`, the callbacks (`Progress`, `Checkpoint`,
`DataRefresh`), the compile cache, and compiled parameter initialisation. `jaxnn.fit`,
`jaxnn.fit_many` and `pinn.solve` are built on it; a training run of your own needs only a
``loss_fn(params, batch, key) -> (loss, aux)``:

    result = jaxnn.training.train_loop(loss_fn, params, data, optimizer=optax.adam(1e-3),
                                      epochs=100)
"""

from jaxnn._fingerprint import fingerprint
from jaxnn.training._callbacks import (
    Callback,
    Checkpoint,
    DataRefresh,
    Progress,
    as_callback,
    callback_list,
    format_logs,
)
from jaxnn.training._compile_cache import (
    CompileCache,
    abstract_signature,
    eval_shape,
    use_persistent_cache,
)
from jaxnn.training._init import init_params
from jaxnn.training._line_search import (
    ReusesLineSearch,
    forget_line_search,
    reuse_line_search,
    stop_on_failure,
)
from jaxnn.training._loop import WAKE_SECONDS, HostLoop, train_loop
from jaxnn.training._many_run import ManyRun, ManyTrainResult
from jaxnn.training._program import MAX_EPOCHS_PER_CALL, Program, check_logs, fresh_copy
from jaxnn.training._stopping import EarlyStopping, StopperState, check_early_stopping
from jaxnn.training._run import Run, TrainResult
from jaxnn.training._step import (
    BatchAwareTransformation,
    Carry,
    TrainState,
    make_epoch,
    make_train_step,
    prng_key,
    watch_nonfinite,
)

__all__ = [
    "MAX_EPOCHS_PER_CALL",
    "WAKE_SECONDS",
    "BatchAwareTransformation",
    "Callback",
    "Carry",
    "Checkpoint",
    "CompileCache",
    "DataRefresh",
    "EarlyStopping",
    "HostLoop",
    "ManyRun",
    "ManyTrainResult",
    "Program",
    "StopperState",
    "Progress",
    "ReusesLineSearch",
    "Run",
    "TrainResult",
    "TrainState",
    "abstract_signature",
    "as_callback",
    "callback_list",
    "check_early_stopping",
    "check_logs",
    "eval_shape",
    "fingerprint",
    "forget_line_search",
    "format_logs",
    "fresh_copy",
    "init_params",
    "make_epoch",
    "make_train_step",
    "prng_key",
    "reuse_line_search",
    "stop_on_failure",
    "train_loop",
    "use_persistent_cache",
    "watch_nonfinite",
]

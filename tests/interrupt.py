"""A stand-in for a killed process, shared by the resume tests: `kill_after(n)` is a callback
(``(epoch, logs)``) that raises `Killed` at its n-th call, in the middle of a run; None never
raises."""


class Killed(Exception):
    """Stands for a killed process: raised by a callback in the middle of a stage."""


def kill_after(count: int | None):
    """A training callback that raises `Killed` the `count`-th time it is called."""
    calls = []

    def kill(epoch, logs):
        calls.append(epoch)
        if len(calls) == count:
            raise Killed

    return kill

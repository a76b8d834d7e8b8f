"""jaxnn: pure-function neural networks and one jit-compiled training loop, for physicists."""

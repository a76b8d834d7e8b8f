"""pinn: physics-informed neural networks on the networks and training loop of jaxnn."""

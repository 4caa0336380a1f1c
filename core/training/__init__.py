"""Training plumbing every model shares: datasets, checkpoints, devices and threads, torchrun."""

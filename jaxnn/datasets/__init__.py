"""Data sets: generators (xor, nand, ising, pid_toy) and loaders of files the user has (SUSY CSV, MNIST IDX)."""

"""Benchmarks: mlpgrad vs hand-written NumPy vs PyTorch eager (see README.md)."""

"""Migration scripts, numbered in order (0001_initial.py, 0002_...)."""

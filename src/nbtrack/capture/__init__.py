"""Capture: what a tracked cell read, set and produced, and the run lifecycle around it."""

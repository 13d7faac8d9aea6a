"""Helpers for testing against both backends: the real kernel and the model."""

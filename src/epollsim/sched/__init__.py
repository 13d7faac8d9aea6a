"""Scheduling: how a call that has to wait waits."""

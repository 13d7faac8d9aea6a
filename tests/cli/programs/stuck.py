"""Reads a pipe nobody writes: a deadlock, diagnosed."""


def main(kernel):
    r, w = kernel.os.pipe()
    kernel.os.read(r, 1)

"""Numbers Linux defines, each with the header or source file it comes from.

Everything here is a plain ``int`` (or an ``enum.IntFlag`` used only for
printing): the hot paths of the model compare and mask plain integers.
The values are those of x86-64 Linux 6.x; where an architecture differs the
comment says so.
"""

"""Drop-in stand-ins named after the stdlib modules they mirror, bound to one kernel.

Each is an object with the module's functions, classes and constants; what
the model does not simulate raises ``Unsupported`` naming it, and nothing
ever reaches the host's real calls.
"""

"""The tools that run programs on the simulated machine: the command line (``cli``), one seed
(``runner``, ``programs``), many seeds (``exploration``, ``pool``, ``dask_explore``), the real
kernel against the model (``diff``), the demo and the progress line."""

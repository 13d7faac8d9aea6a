"""One module per kind of file. Each answers poll() and wakes its wait queues as Linux does."""

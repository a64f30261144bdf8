"""Load benchmark of the whole system on a real broker: ``python -m bench --help`` (``make bench``)."""

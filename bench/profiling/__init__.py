"""cProfile for the services under ``python -m bench --profile DIR`` (sitecustomize.py) and its summary."""

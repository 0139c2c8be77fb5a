"""The HTTP service: the user terminal, the upstream collector, the other job channels, the provider
registry and basket status (app.py wires the routers of routes/; read_model.py shows a basket)."""

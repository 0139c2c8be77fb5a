"""Choosing providers: the exact optimiser (optimise.py), pack rounding (packs.py) and their inputs and
outputs (model.py). Plain code: no broker, no database."""

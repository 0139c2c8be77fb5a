"""The ordering role: the saga from a selection to a delivered and paid kit (orders, delivery and
settlement steps; payments.py holds how the saga settles)."""

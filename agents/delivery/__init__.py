"""Delivery: what the ordering saga asks of a carrier (a courier, the shop's own fleet, or the shop's
counter for pickup), with exactly the contact data that carrier needs, sealed to it."""

"""Personal data: the coordinator's encrypted vault, sealing to recipients' keys, the privacy table as
code, and the audit log of who received which fields for which order."""

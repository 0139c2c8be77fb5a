"""Storage for a provider hosted in a Kitting worker (the reference accounting agent's ledger): its
tables live in the host's database, declared on the host's metadata so that Kitting's migrations
create them, and it opens its own sessions and transactions. A provider in its own process keeps its
own database instead."""

from streams.persistence import Base, Database, DecimalText, UnitOfWork, UtcDateTime, utcnow

__all__ = ["Base", "Database", "DecimalText", "UnitOfWork", "UtcDateTime", "utcnow"]

"""Reports and exports for analysts over the archive: metrics computed from archived records, a
self-contained HTML report, and exports of the records as Parquet, JSON Lines or CSV."""

"""One FastAPI router per area of the HTTP API; endpoints get their services through Depends."""

"""The providers role: the provider SDK, the webhook bridge to providers reached over HTTPS, and hosting
provider adapters inside a worker."""

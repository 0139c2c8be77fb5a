"""Settings from the environment (prefix KITTING_), read once by the composition root."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MethodProviderConfig(BaseModel):
    """A method provider that serves component lists for its pages (see schemas/method_lists.py)."""

    provider_id: str
    name: str
    hosts: list[str] = Field(description="Page hosts it answers for, e.g. diy.example.org")
    list_endpoint: str = Field(description="GET endpoint; Kitting adds ?url=<page url>")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KITTING_", extra="ignore")

    kafka_bootstrap_servers: str | None = Field(
        default=None, description="Kafka cluster to use; unset starts the embedded broker"
    )
    embedded_broker_port: int = Field(
        default=0, description="Port of the embedded broker; 0 picks a free one"
    )
    database_url: str = Field(
        default="sqlite:///./var/kitting.db", description="SQLAlchemy URL; postgresql+psycopg://… at scale"
    )
    app_id: str = Field(default="kitting", description="Faust app id, also the consumer group")
    topic_partitions: int | None = Field(
        default=None, description="Override every topic's partition count (the embedded broker uses 1)"
    )
    topic_replication_factor: int = Field(
        default=1, ge=1, description="Replicas of the topics Kitting creates (3 on a production cluster)"
    )
    migrate_on_start: bool = Field(
        default=True,
        description="`kitting worker` upgrades the database first; off where a migrate job does it",
    )
    quote_deadline_s: float = Field(default=5.0, gt=0, description="How long providers get to quote")
    http_public_url: str | None = Field(
        default=None, description="Where other processes reach the HTTP service; default http://HOST:PORT"
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    var_dir: Path = Path("var")
    broker_session_timeout_s: float = 6.0
    broker_heartbeat_interval_s: float = 1.0
    producer_max_batch_size: int = Field(
        default=1,
        description="Records per producer batch; 1 keeps table recovery right on the embedded broker",
    )
    consumer_fetch_max_wait_ms: int = Field(
        default=100, ge=0, description="Longest a consumer fetch waits for data (Faust's own is 1500 ms)"
    )
    method_providers: list[MethodProviderConfig] | None = Field(
        default=None,
        description="JSON list of method providers with component-list endpoints; unset: the demo site's",
    )
    admin_token: str | None = Field(
        default=None, description="Bearer token for changing the provider registry over HTTP"
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, description="How long a provider webhook may take")
    log_level: str = "warning"
    reference_providers: bool = Field(
        default=True, description="Run the reference shops, courier and accounting agent in this worker"
    )

    @property
    def embedded_broker(self) -> bool:
        return not self.kafka_bootstrap_servers

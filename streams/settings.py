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
    trusted_proxies: str = Field(
        default="",
        max_length=2000,
        description="Addresses of reverse proxies whose X-Forwarded-For names the client (comma-separated); "
        "unset: the header is ignored, so nobody can pick their own client address",
    )
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
    consumer_fetch_busy_wait_ms: int | None = Field(
        default=None,
        ge=0,
        description="The fetch wait for a second after a worker received or produced records; unset: "
        "the same as consumer_fetch_max_wait_ms (right for Kafka, which answers a fetch as soon as data "
        "arrives). The workers Kitting starts on its embedded broker, which holds every fetch for its whole "
        "wait, get 5 unless it is set; a loaded worker (more than 8 records in hand) keeps the idle wait",
    )
    consumer_batch_max: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Most records a consumer handles in one transaction (those already fetched; it never "
        "waits for more)",
    )
    method_providers: list[MethodProviderConfig] | None = Field(
        default=None,
        description="JSON list of method providers with component-list endpoints; unset: the demo site's",
    )
    admin_token: str | None = Field(
        default=None,
        description="Bearer token of the operator (the registry, personal data, the job channels); unset: "
        "var/admin.token, created on first use",
    )
    allowed_hosts: str = Field(
        default="localhost,127.0.0.1",
        description="Comma-separated Host names the HTTP service answers to (others get 400): a page "
        "another site makes a browser load under a rebound name is refused",
    )
    webhook_timeout_s: float = Field(
        default=5.0, gt=0, description="How long one attempt of a provider webhook call may take"
    )
    webhook_deadline_s: float = Field(
        default=15.0, gt=0, description="How long a provider webhook call may take in all, retries included"
    )
    vault_key: str | None = Field(
        default=None,
        description="Base64 32-byte key the personal-data vault is encrypted with; unset: var/vault.key, "
        "created on first use. Every worker of one deployment needs the same key",
    )
    vault_old_keys: str = Field(
        default="",
        max_length=2000,
        description="Comma-separated earlier vault keys (base64) that still open contact data stored before "
        "the key rotated, until `kitting privacy rekey` has moved it to KITTING_VAULT_KEY",
    )
    order_confirm_timeout_s: float = Field(
        default=60.0, gt=0, description="How long a provider has to confirm an order before it is replaced"
    )
    delivery_attempts: int = Field(default=2, ge=1, description="Tries of a delivery before it is refunded")
    fetch_private_hosts: str = Field(
        default="",
        max_length=2000,
        description="Comma-separated host names or addresses whose pages may be "
        "fetched although they are not public (e.g. an intranet's guides); unset: only public addresses",
    )
    job_workers: int = Field(
        default=2,
        ge=1,
        description="Processes that read pages and faxes beside the worker (also how many "
        "pages one worker reads at once)",
    )
    job_timeout_s: float = Field(
        default=20.0,
        gt=0,
        description="Longest one page or fax may take to read; past it the basket fails "
        "with the reason and the others go on",
    )
    job_memory_mb: int = Field(
        default=4096, ge=0, description="Address space one reading process may use (0: no cap)"
    )
    proposal_ttl_s: float = Field(
        default=86400.0, gt=0, description="How long a proposal waits for the person to confirm it"
    )
    carrier_answer_timeout_s: float = Field(
        default=900.0,
        gt=0,
        description="How long a carrier may leave a delivery request unanswered before "
        "the delivery is tried again (another carrier when there is one) or refunded",
    )
    delivery_timeout_s: float = Field(
        default=86400.0,
        gt=0,
        description="How long an arranged or collected delivery may take before it counts as failed",
    )
    accounting_answer_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="How long the accounting agent may leave a payment step unanswered "
        "before it is asked again (same idempotency key: money moves once)",
    )
    accounting_retries: int = Field(
        default=5,
        ge=0,
        description="Repeats of an unanswered payment step before the order needs a person "
        "(`kitting ops stuck`)",
    )
    authorisation_valid_s: float = Field(
        default=518400.0,
        gt=0,
        description="How long an authorisation holds; an order not delivered by then "
        "is cancelled and its authorisation voided",
    )
    demo_pace: float = Field(
        default=0.0,
        ge=0,
        le=10,
        description="How long the hosted reference shops, courier and accounting agent take for each step, "
        "as a multiple of a demo's pace (1: a shop quotes in 1.5 s, confirms an order in 2 s, the courier "
        "hands over in 4 s, the accounting agent answers in 1.5 s); 0: at once. `kitting up` sets 1 unless "
        "KITTING_DEMO_PACE is given; a party's requests wait in turn while it takes its time",
    )
    reference_faults: str = Field(
        default="",
        description="Comma-separated faults for the hosted reference providers, for drills and tests: "
        "`reject:SHOP` (rejects every order), `silent:PARTY` (a shop, carrier or accounting agent never "
        "answers; `silent:PARTY@START-END` only between two Unix times), `fail-first:COURIER` (the first "
        "try of each delivery fails)",
    )
    log_epoch: str | None = Field(
        default=None,
        description="Names the broker's log in the archive; `kitting up` sets it for its embedded broker, "
        "a real cluster is named by its cluster id",
    )
    archive: bool = Field(default=True, description="Archive every event as Parquet (the worker does it)")
    archive_dir: Path | None = Field(
        default=None, description="Where the archive lives; unset: VAR_DIR/archive"
    )
    archive_flush_records: int = Field(
        default=5000, ge=1, description="Records buffered before a file is written"
    )
    archive_flush_s: float = Field(default=2.0, gt=0, description="Longest a record waits for its file")
    archive_retention_days: int = Field(
        default=365, ge=0, description="Archived days older than this are deleted (0 keeps everything)"
    )
    fax_spool_dir: Path | None = Field(
        default=None,
        description="A fax server's spool folder the HTTP service reads jobs from (TIFF, PDF, e-mail, text); "
        "default var/fax-spool",
    )
    fax_spool_interval_s: float = Field(default=2.0, gt=0, description="How often the spool folder is read")
    demo_site: bool = Field(default=True, description="Serve the demo upstream site and register its API key")
    log_level: str = "warning"
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes `kitting up` starts (one consumer group: the topics' partitions are "
        "split between them); more than one pays off with PostgreSQL, not SQLite",
    )
    reference_providers: bool = Field(
        default=True, description="Run the reference shops, courier and accounting agent in this worker"
    )

    @property
    def archive_path(self) -> Path:
        return self.archive_dir or Path(self.var_dir) / "archive"

    @property
    def fax_spool_path(self) -> Path:
        return self.fax_spool_dir or Path(self.var_dir) / "fax-spool"

    @property
    def embedded_broker(self) -> bool:
        return not self.kafka_bootstrap_servers

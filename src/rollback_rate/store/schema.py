"""Table definitions shared by the store, the projection and the aggregation queries.

The migrations under `migrations/versions` create exactly these tables; a test checks
that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias).
Seq = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

# Append-only log: rows are inserted, never updated or deleted.
events = Table(
    "events",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("stream_id", Integer, nullable=False),
    Column("type", String(20), nullable=False),
    Column("version", String(200)),
    Column("ts", BigInteger, nullable=False),
    # NULL only for an amend that leaves the rollback's automated flag as it was.
    Column("automated", Boolean),
    Column("cause", String(100)),
    Column("team", String(200)),
    Column("note", Text),
    Column("attributes", Text),
    Column("recorded_at", BigInteger, nullable=False),
    # The contract's later fields (NULL when not given; flags NULL when false).
    Column("target", String(200)),
    Column("artifact", Text),
    Column("digest", String(200)),
    Column("drill", Boolean),
    Column("stage", String(100)),
    Column("unplanned", Boolean),
    Column("actor", String(200)),
    Index("ix_events_stream_order", "stream_id", "ts", "seq"),
    # Corrections of a stream, read before each of its replays.
    Index(
        "ix_events_corrections",
        "stream_id",
        sqlite_where=text("type IN ('void', 'amend')"),
        postgresql_where=text("type IN ('void', 'amend')"),
    ),
    # Failed rollbacks live only in the log; this keeps the report from scanning it.
    Index(
        "ix_events_failed_rollbacks",
        "ts",
        sqlite_where=text("type = 'rollback_failed'"),
        postgresql_where=text("type = 'rollback_failed'"),
    ),
)

# One row per model + environment, holding the attribution state for incremental updates.
streams = Table(
    "streams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(200), nullable=False),
    Column("environment", String(200), nullable=False),
    Column("team", String(200)),
    Column("stack", Text, nullable=False, server_default="[]"),
    Column("last_ts", BigInteger),
    Column("last_seq", BigInteger),
    # Counted deployments in the projection (kept with the stack), and recorded
    # deployment and rollback events in the log, all and automated.
    Column("deployments_counted", BigInteger, nullable=False, server_default="0"),
    Column("deployments_recorded", BigInteger, nullable=False, server_default="0"),
    Column("deployments_recorded_automated", BigInteger, nullable=False, server_default="0"),
    Column("rollbacks_recorded", BigInteger, nullable=False, server_default="0"),
    Column("rollbacks_recorded_automated", BigInteger, nullable=False, server_default="0"),
    # Versions a rollback took off this stream (JSON list): a rollback onto one of them is
    # a bad-target rollback. When rolling back was last exercised (a rollback or a drill).
    Column("rolled_back_versions", Text, nullable=False, server_default="[]"),
    Column("last_exercised_at", BigInteger),
    # Counted deployments since the stream's last rollback (NULL before its first).
    Column("deployed_since_rollback", Integer),
    UniqueConstraint("model", "environment", name="uq_streams_model_environment"),
)

# The bottom of each stream's stack, frozen (`attribution/compact_stack.py`), when it has
# one; `streams.stack` holds the entries above it as JSON. A row of its own, rewritten only
# when the frozen part changes (one deployment in 32), so that a write into a long history
# does not re-encode it or rewrite it.
stream_stacks = Table(
    "stream_stacks",
    metadata,
    Column("stream_id", Integer, primary_key=True, autoincrement=False),
    Column("versions", LargeBinary, nullable=False),  # NUL-separated, NUL first and last
    Column("seqs", LargeBinary, nullable=False),  # int64 little-endian; -1 when restored
)

# Projection: one row per counted deployment, with the rollback that ended it, if any.
deployments = Table(
    "deployments",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("stream_id", Integer, nullable=False),
    Column("model", String(200), nullable=False),
    Column("environment", String(200), nullable=False),
    Column("team", String(200)),
    Column("version", String(200), nullable=False),
    Column("deployed_at", BigInteger, nullable=False),
    Column("week", String(8), nullable=False),
    Column("month", String(7), nullable=False),
    Column("rolled_back_at", BigInteger),
    Column("rollback_seq", BigInteger),
    Column("rollback_automated", Boolean),
    Column("rollback_cause", String(100)),
    Column("stage", String(100)),  # "canary": rolled back before it took full traffic
    Column("unplanned", Boolean),  # a hotfix or emergency retrain (NULL when planned)
    # The unplanned deployment that replaced this one (fixed it forward), if any.
    Column("fixed_forward_at", BigInteger),
    Column("fixed_forward_seq", BigInteger),
    # The rollback restored a version that had itself been rolled back before.
    Column("rollback_bad_target", Boolean),
    # Counted deployments the stream made between its previous rollback and this one's
    # (NULL when there was none before): a repeat rollback is one within a few.
    Column("rollback_gap", Integer),
    # Covering: every report grouping (stream, team, week, month) reads this index alone.
    Index("ix_deployments_stream_cover", "stream_id", "deployed_at", "team", "week", "month"),
    # Partial and covering: only rolled-back rows, with what the rollback figures need,
    # so inserting a deployment skips it and those figures never read the table.
    Index(
        "ix_deployments_rolled_back_cover",
        "rolled_back_at",
        "deployed_at",
        "stream_id",
        "rollback_automated",
        "rollback_cause",
        "team",
        "week",
        "month",
        "stage",
        "rollback_bad_target",
        "rollback_gap",
        sqlite_where=text("rolled_back_at IS NOT NULL"),
        postgresql_where=text("rolled_back_at IS NOT NULL"),
    ),
    # Each stream's last rollback, found by one seek (the models overview).
    Index(
        "ix_deployments_stream_rolled_back",
        "stream_id",
        "rolled_back_at",
        sqlite_where=text("rolled_back_at IS NOT NULL"),
        postgresql_where=text("rolled_back_at IS NOT NULL"),
    ),
    # Partial and covering, likewise: the few unplanned deployments (rework), and the few
    # fixed forward (change failures besides rollbacks).
    Index(
        "ix_deployments_unplanned_cover",
        "stream_id",
        "deployed_at",
        "team",
        "week",
        "month",
        sqlite_where=text("unplanned IS NOT NULL"),
        postgresql_where=text("unplanned IS NOT NULL"),
    ),
    Index(
        "ix_deployments_fixed_forward_cover",
        "fixed_forward_at",
        "deployed_at",
        "stream_id",
        "rolled_back_at",
        "team",
        "week",
        "month",
        sqlite_where=text("fixed_forward_at IS NOT NULL"),
        postgresql_where=text("fixed_forward_at IS NOT NULL"),
    ),
)

# SQLite groups and orders by sorting, unless an index already holds the rows in that
# order (PostgreSQL hashes its groups). Two more partial indexes of the rolled-back few,
# in stream order, spare a report by model or stream its two largest sorts: the rollback
# figures per stream and root cause (84 -> 23 ms of SQLite's time at a million
# deployments), and each stream's delays in order, for the survival curves (the medians'
# delays now come with the rollback figures, aggregation/sql.py). SQLite only.
_ROLLED_BACK = text("rolled_back_at IS NOT NULL")
Index(
    "ix_deployments_rolled_back_by_stream",
    deployments.c.stream_id,
    deployments.c.rollback_cause,
    deployments.c.rolled_back_at,
    deployments.c.deployed_at,
    deployments.c.rollback_automated,
    deployments.c.team,
    deployments.c.week,
    deployments.c.month,
    deployments.c.stage,
    deployments.c.rollback_bad_target,
    deployments.c.rollback_gap,
    sqlite_where=_ROLLED_BACK,
).ddl_if(dialect="sqlite")
# And in (cell, team, cause) order, for a report by team and period: its rollback figures
# are grouped per cell, team and cause as they are read, then those few thousand groups by
# team and month (or week), instead of sorting every rolled-back row (migration 0011).
Index(
    "ix_deployments_rolled_back_by_cell",
    deployments.c.week,
    deployments.c.month,
    deployments.c.team,
    deployments.c.rollback_cause,
    deployments.c.rolled_back_at,
    deployments.c.deployed_at,
    deployments.c.rollback_automated,
    deployments.c.stage,
    deployments.c.rollback_bad_target,
    deployments.c.rollback_gap,
    deployments.c.stream_id,
    sqlite_where=_ROLLED_BACK,
).ddl_if(dialect="sqlite")
Index(
    "ix_deployments_rollback_delay",
    deployments.c.stream_id,
    deployments.c.rolled_back_at - deployments.c.deployed_at,
    deployments.c.deployed_at,
    deployments.c.rolled_back_at,
    deployments.c.team,
    deployments.c.week,
    deployments.c.month,
    sqlite_where=_ROLLED_BACK,
).ddl_if(dialect="sqlite")

# Projection rollup: counted deployments per stream, team ('' for none), ISO week and
# month (a "cell": the days a week and a month share, at most seven). Reports sum cells
# that lie wholly inside their time bounds and count raw rows only in the few cells a
# bound cuts (aggregation/cells.py), instead of reading every deployment.
deployment_counts = Table(
    "deployment_counts",
    metadata,
    Column("stream_id", Integer, nullable=False),
    Column("team_key", String(200), nullable=False),
    Column("week", String(8), nullable=False),
    Column("month", String(7), nullable=False),
    Column("deployments", BigInteger, nullable=False),
    PrimaryKeyConstraint("stream_id", "team_key", "week", "month"),
    # In (cell, team) order: a report by team and period sums each cell's teams in index
    # order before it groups them, instead of sorting every cell (migration 0011).
    Index("ix_deployment_counts_cell", "week", "month", "team_key", "stream_id", "deployments"),
)

# Projection: rollbacks that rolled back no counted deployment.
orphan_rollbacks = Table(
    "orphan_rollbacks",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("stream_id", Integer, nullable=False),
    Column("model", String(200), nullable=False),
    Column("environment", String(200), nullable=False),
    Column("team", String(200)),
    Column("at", BigInteger, nullable=False),
    Column("week", String(8), nullable=False),
    Column("month", String(7), nullable=False),
    Column("automated", Boolean, nullable=False),
    Column("cause", String(100)),
    Index("ix_orphan_rollbacks_stream", "stream_id", "at"),
)

# API tokens of the HTTP service: only a SHA-256 of each token is kept, never the token.
# Rows are revoked (revoked_at set), not deleted, so `tokens list` keeps the history.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("scope", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Column("last_used_at", BigInteger),
)

# Shared secrets of webhook sources, kept raw because HMAC verification needs them.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("secret", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# Alert rules' last observed state per subject (a stream's rate or readiness verdict), so a
# crossing or a drop is noticed once, by whichever process observes it first; `episode`
# counts the alerts it has fired.
alert_states = Table(
    "alert_states",
    metadata,
    Column("rule", Text, primary_key=True),
    Column("subject", Text, primary_key=True),
    Column("value", Text),  # JSON; NULL until first observed
    Column("observed_at", BigInteger),
    Column("episode", Integer, nullable=False, server_default="0"),
)

# The outbox of alerts: one row per (rule, alert key), inserted by the process that noticed
# the alert (INSERT ... ON CONFLICT DO NOTHING: only one can), leased while it is sent,
# then `sent`, or `failed` after its last attempt.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("rule", Text, primary_key=True),
    Column("alert_key", Text, primary_key=True),
    Column("payload", Text, nullable=False),  # the generic alert object, JSON
    Column("status", String(20), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_owner", String(100)),
    Column("lease_until", BigInteger),
    Column("sent_at", BigInteger),
    Column("last_error", Text),
    Index(
        "ix_alert_deliveries_due",
        "next_attempt_at",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

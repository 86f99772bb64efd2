-- Corral's history schema, version 1. PostgreSQL 15 features only: the same file runs on a real
-- PostgreSQL and on embedded PGlite. Times are timestamptz; sizes are bytes; durations are
-- milliseconds unless a name says otherwise.
--
-- The time-series tables carry no foreign keys: history outlives the hosts and keys it mentions,
-- and their rows are written in batches that must not fail because a `servers` row is late.
-- Rows written by the hub carry an id or a natural key, and every insert is `ON CONFLICT DO
-- NOTHING`, so a batch retried after a lost acknowledgement is not written twice.

-- Every host any hub has seen, with what identifies it now.
CREATE TABLE servers (
  id text PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('agent', 'ollama')),
  url text NOT NULL,
  status text NOT NULL,
  hostname text,
  os text,
  kernel text,
  arch text,
  cpu_model text,
  boot_id text,
  agent_version text,
  ollama_version text,
  -- [{index, uuid, name, vendor, memoryTotal}]
  gpus jsonb NOT NULL DEFAULT '[]'::jsonb,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL
);
CREATE INDEX servers_name ON servers (name);

-- What a host was doing, sampled: its status, what was loaded, how busy it was.
CREATE TABLE server_snapshots (
  server_id text NOT NULL,
  time timestamptz NOT NULL,
  status text NOT NULL,
  ollama_reachable boolean NOT NULL,
  ollama_version text,
  -- [{name, digest, size, sizeVram, expiresAt}]
  loaded jsonb NOT NULL DEFAULT '[]'::jsonb,
  models_on_disk integer NOT NULL DEFAULT 0,
  in_flight integer NOT NULL DEFAULT 0,
  PRIMARY KEY (server_id, time)
);
CREATE INDEX server_snapshots_time ON server_snapshots (time);

-- A host's resources, sampled. Disk is the filesystem that holds the models (the agent's first).
CREATE TABLE system_metrics (
  server_id text NOT NULL,
  time timestamptz NOT NULL,
  cpu_util real,
  cpu_count integer,
  load1 real,
  mem_total bigint,
  mem_available bigint,
  swap_total bigint,
  swap_free bigint,
  disk_total bigint,
  disk_used bigint,
  cpu_temp real,
  uptime_s bigint,
  in_flight integer,
  PRIMARY KEY (server_id, time)
);
CREATE INDEX system_metrics_time ON system_metrics (time);

-- Each GPU, sampled with its host.
CREATE TABLE gpu_metrics (
  server_id text NOT NULL,
  gpu smallint NOT NULL,
  time timestamptz NOT NULL,
  uuid text,
  name text,
  utilization real,
  memory_total bigint,
  memory_used bigint,
  temperature real,
  power_draw real,
  power_limit real,
  PRIMARY KEY (server_id, gpu, time)
);
CREATE INDEX gpu_metrics_time ON gpu_metrics (time);

-- Models loaded into and unloaded from memory, added to and removed from disk, as seen in the
-- agents' state (never guessed from requests).
CREATE TABLE model_events (
  id uuid PRIMARY KEY,
  time timestamptz NOT NULL,
  server_id text NOT NULL,
  model text NOT NULL,
  event text NOT NULL CHECK (event IN ('load', 'unload', 'added', 'removed')),
  digest text,
  size bigint,
  size_vram bigint,
  -- For an unload: how long the model stayed loaded, when the hub saw it load.
  loaded_ms bigint,
  detail text
);
CREATE INDEX model_events_time ON model_events (time);
CREATE INDEX model_events_server_time ON model_events (server_id, time);
CREATE INDEX model_events_model_time ON model_events (model, time);

-- A host's life: found, online, offline, degraded, draining, maintenance, rebooted, new Ollama.
CREATE TABLE server_events (
  id uuid PRIMARY KEY,
  time timestamptz NOT NULL,
  server_id text NOT NULL,
  event text NOT NULL CHECK (event IN ('discovered', 'online', 'offline', 'degraded', 'draining',
    'maintenance', 'reboot', 'ollama-version', 'removed')),
  previous text,
  detail text
);
CREATE INDEX server_events_time ON server_events (time);
CREATE INDEX server_events_server_time ON server_events (server_id, time);

-- One row per request the data plane answered. `id` is a UUIDv7 made by the hub: time-ordered, so
-- the primary key grows at its end, and the audit log pages on (time, id).
CREATE TABLE request_logs (
  id uuid PRIMARY KEY,
  time timestamptz NOT NULL,
  hub text NOT NULL,
  -- The client's key by name (never the key), or the dashboard user.
  api_key text,
  user_id bigint,
  client text,
  method text NOT NULL,
  endpoint text NOT NULL,
  model text,
  server_id text,
  -- Why the router chose that host (loaded, loaded-busy, on-disk, pull, pinned, any).
  route text,
  attempts smallint NOT NULL DEFAULT 1,
  queued_ms real,
  status smallint NOT NULL,
  error text,
  stream boolean,
  prompt_tokens integer,
  completion_tokens integer,
  ttfb_ms real,
  duration_ms real,
  load_ms real,
  bytes_in bigint,
  bytes_out bigint
);
CREATE INDEX request_logs_time ON request_logs (time, id);
CREATE INDEX request_logs_server_time ON request_logs (server_id, time);
CREATE INDEX request_logs_model_time ON request_logs (model, time);
CREATE INDEX request_logs_key_time ON request_logs (api_key, time);

-- Hourly rollups, kept after the raw rows are pruned. '' stands for "none" in the key columns so
-- that they can be part of the primary key.
CREATE TABLE request_rollups (
  hour timestamptz NOT NULL,
  model text NOT NULL,
  server_id text NOT NULL,
  api_key text NOT NULL,
  requests integer NOT NULL,
  errors integer NOT NULL,
  prompt_tokens bigint NOT NULL,
  completion_tokens bigint NOT NULL,
  duration_sum_ms double precision NOT NULL,
  duration_p50_ms real,
  duration_p95_ms real,
  duration_max_ms real,
  ttfb_count integer NOT NULL,
  ttfb_sum_ms double precision NOT NULL,
  ttfb_p50_ms real,
  ttfb_p95_ms real,
  PRIMARY KEY (hour, model, server_id, api_key)
);

-- Hourly min/avg/max of each sampled metric. `gpu` is -1 for the host's own metrics.
CREATE TABLE metric_rollups (
  hour timestamptz NOT NULL,
  server_id text NOT NULL,
  gpu smallint NOT NULL,
  metric text NOT NULL,
  min double precision NOT NULL,
  avg double precision NOT NULL,
  max double precision NOT NULL,
  samples integer NOT NULL,
  PRIMARY KEY (hour, server_id, gpu, metric)
);
CREATE INDEX metric_rollups_server ON metric_rollups (server_id, gpu, hour);

-- People who sign in to the dashboard (issue #6).
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL UNIQUE,
  -- A slow KDF's output with its parameters, e.g. `scrypt$N$r$p$salt$hash`.
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login timestamptz,
  disabled boolean NOT NULL DEFAULT false
);

-- Client API keys managed from the dashboard; only a hash of the key is kept.
CREATE TABLE api_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  hash text NOT NULL UNIQUE,
  -- Model name patterns; NULL means every model.
  models text[],
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used timestamptz,
  revoked_at timestamptz
);

-- Alert thresholds; `server_id` NULL is the fleet-wide default a host's own row overrides.
CREATE TABLE alert_rules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  server_id text,
  kind text NOT NULL,
  threshold double precision,
  enabled boolean NOT NULL DEFAULT true,
  cooldown_s integer NOT NULL DEFAULT 1800,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (server_id, kind)
);

-- Alerts raised, with their cooldown and recovery state.
CREATE TABLE alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  server_id text NOT NULL,
  kind text NOT NULL,
  message text NOT NULL,
  value double precision,
  raised_at timestamptz NOT NULL,
  last_sent_at timestamptz,
  resolved_at timestamptz,
  channels jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX alerts_open ON alerts (server_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX alerts_raised ON alerts (raised_at);

-- A user's Telegram chat, and which hosts they want to hear about.
CREATE TABLE user_telegram_configs (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  chat_id text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE user_server_subscriptions (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  server_id text NOT NULL,
  PRIMARY KEY (user_id, server_id)
);

-- Jobs run on a schedule by whichever hub holds the scheduler's lock.
CREATE TABLE scheduled_jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  kind text NOT NULL,
  schedule text NOT NULL,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  enabled boolean NOT NULL DEFAULT true,
  last_run_at timestamptz,
  last_status text,
  last_error text,
  next_run_at timestamptz
);

/**
 * Starts a hub from its resolved configuration: the registry and the links that feed it,
 * discovery, the data plane and the control plane. `main.ts` calls this; so do the demo, the
 * benchmarks and the tests, with a quiet logger and port 0.
 *
 * @module
 */

import { importFleetKey, newPacketCounters, type PacketCounters } from "../shared/discovery.ts";
import { fleetToken } from "../shared/fleet_key.ts";
import { localUrl } from "../shared/http_url.ts";
import { CORRAL_VERSION } from "../shared/version.ts";
import { type Accounts, openAccounts, startAccounts } from "./accounts/accounts.ts";
import { createDataApp } from "./app.ts";
import { Keyring } from "./auth.ts";
import { LiveFeed } from "./live.ts";
import { ModelActions } from "./model_actions.ts";
import { PullJobs } from "./pull_jobs.ts";
import { settingsView } from "./settings_view.ts";
import { Sparks } from "./sparks.ts";
import { apiKeysRequired, type HubConfig } from "./config.ts";
import { createControlApp } from "./control.ts";
import { type Discovery, startDiscovery } from "./discovery.ts";
import type { Grant, RouteFn } from "./dispatch.ts";
import { Fleet } from "./fleet.ts";
import { type History, startHistory } from "./history/history.ts";
import { withRequestLog } from "./history/request_log.ts";
import { InFlightTable } from "./in_flight.ts";
import { type Logger, quiet } from "./log.ts";
import { FleetQueue } from "./queue.ts";
import { Registry } from "./registry.ts";
import { RunStats } from "./stats.ts";

/** What {@link startHub} needs beside the configuration. */
export interface HubOptions {
  /** The fleet key, already read; `null` only when the configuration says insecure. */
  fleetKey: string | null;
  /** A stable id for this hub in discovery. @default a random one */
  id?: string;
  /** @default quiet */
  log?: Logger;
  /** Another routing decision, for the routing benchmark's baselines. @default router.ts `route` */
  route?: RouteFn;
}

/** A running hub. */
export interface RunningHub extends AsyncDisposable {
  /** The data plane's base URL (`http://127.0.0.1:11434`). */
  url: string;
  /** The control plane's base URL. */
  controlUrl: string;
  /** The UDP discovery port, or `null` when discovery is off. */
  discoveryPort: number | null;
  registry: Registry;
  /** The history store, or `null` when history is off. */
  history: History | null;
  /** Users, sessions and dashboard API keys (none without history). */
  accounts: Accounts;
  packets: PacketCounters;
  /** The name shown to clients and agents. */
  name: string;
  stop(): Promise<void>;
}

/** Starts the hub; resolves once both planes listen and discovery runs. */
export async function startHub(config: HubConfig, options: HubOptions): Promise<RunningHub> {
  const log = options.log ?? quiet;
  const { fleetKey } = options;
  const name = config.name ?? Deno.hostname();
  const id = options.id ?? `hub-${crypto.randomUUID().slice(0, 8)}`;
  const key = fleetKey ? await importFleetKey(fleetKey) : null;
  const token = fleetKey ? await fleetToken(fleetKey) : null;
  const packets = newPacketCounters();

  const inFlight = new InFlightTable();
  const stats = new RunStats();
  const registry = new Registry(inFlight, stats.memory);
  const queue = new FleetQueue<Grant>({ max: config.queue.max, timeoutMs: config.queue.timeoutMs });
  const fleet = new Fleet({
    registry,
    token,
    offlineAfterMs: config.offlineAfterMs,
    log: (message) => log.info(message),
  });
  // Capacity may have freed whenever a host changes or one of our requests ends.
  registry.subscribe((event) => {
    if (event.type === "snapshot" || event.type === "status") queue.pump();
    if (event.type === "status") {
      const why = event.reason ? ` (${event.reason})` : "";
      log.info(`host "${event.host.name}" is ${event.to}${why}`);
    }
    if (event.type === "reboot") log.info(`host "${event.host.name}" rebooted`);
  });
  inFlight.onEnd(() => queue.pump());
  // Before anything runs: an embedded database another hub holds is a reason not to start.
  const history = config.history.enabled
    ? await startHistory(config.history, { registry, inFlight, log })
    : null;
  // Time passes: probation ends, and a queued request's estimate of a busy host's wait grows.
  const ticker = setInterval(() => {
    registry.tick(Date.now());
    queue.pump();
  }, 1000);

  // Keys are looked at even when not required: a known key is named and held to its allow-list.
  const keysRequired = apiKeysRequired(config);
  const keyring = new Keyring(config.apiKeys);
  // Accounts live in the history database; without it the control plane is open (loopback).
  const hubInfo = { name, version: CORRAL_VERSION };
  const accounts = history
    ? await startAccounts({
      db: history.db,
      ready: history.ready,
      log,
      configKeys: config.apiKeys,
      keyring,
      hub: hubInfo,
    })
    : openAccounts(config.apiKeys, hubInfo);
  const dataDeps = {
    registry,
    inFlight,
    queue,
    stats,
    token,
    retries: config.retries,
    fleet,
    policy: config.routing,
    route: options.route,
  };
  const dataApp = createDataApp({ ...dataDeps, keyring, keysOptional: !keysRequired });
  // The dashboard's pulls and model actions go through the data plane's own routes, as an admin:
  // no client key is asked for.
  const internal = createDataApp({ ...dataDeps, keyring: null });
  const dataFetch = async (request: Request) => await internal.fetch(request);
  const sparks = new Sparks(registry);
  const pulls = new PullJobs({ dataFetch });
  const live = new LiveFeed({ registry, inFlight, queue, sparks, pulls, hub: hubInfo });
  let urls = { data: "", control: "" };
  const controlApp = createControlApp({
    registry,
    inFlight,
    queue: queue as FleetQueue<unknown>,
    history,
    rawRetentionMs: config.history.rawRetentionMs,
    log,
    accounts,
    live,
    models: { registry, pulls, actions: new ModelActions({ registry, dataFetch }) },
    settings: () =>
      settingsView({
        config,
        name,
        fleetKey,
        dataUrl: urls.data,
        controlUrl: urls.control,
        backend: history?.db.backend ?? null,
      }),
  });
  // With history on, one row per request, queued once its response has been sent.
  const serveData = history
    ? withRequestLog(dataApp.fetch, { hub: name, record: history.logRequest })
    : dataApp.fetch;

  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  let discovery: Discovery | null = null;
  let stopped: Promise<void> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      clearInterval(ticker);
      fleet.stop();
      await discovery?.stop();
      // Open event streams would hold the servers' shutdown up.
      live.stop();
      sparks.stop();
      await pulls.stop();
      await Promise.all(servers.map((s) => s.shutdown()));
      await accounts.stop();
      await history?.stop();
    })();
  try {
    const data = Deno.serve({
      hostname: config.listen.hostname,
      port: config.listen.port,
      onListen: () => {},
    }, serveData);
    servers.push(data);
    const control = Deno.serve({
      hostname: config.controlListen.hostname,
      port: config.controlListen.port,
      onListen: () => {},
    }, controlApp.fetch);
    servers.push(control);

    for (const url of config.agents) fleet.addStatic(url);
    for (const server of config.ollama) fleet.addOllama(server);
    if (config.discovery.enabled) {
      discovery = startDiscovery({
        key,
        port: config.discovery.port,
        probeTo: config.discovery.probeTo,
        hub: { id, name, version: CORRAL_VERSION, port: data.addr.port },
        onAnnounce: (announce, from) => fleet.announced(announce, from),
        counters: packets,
        log: (message) => log.warn(message),
      });
    }
    const url = localUrl(data.addr.hostname, data.addr.port);
    const controlUrl = localUrl(control.addr.hostname, control.addr.port);
    urls = { data: url, control: controlUrl };
    log.info(
      `corral-hub ${CORRAL_VERSION} "${name}": Ollama and OpenAI APIs on ${url}, control plane ` +
        `on ${controlUrl}` +
        (discovery ? `, discovering agents on UDP ${discovery.port}` : ", discovery off"),
    );
    if (keysRequired && keyring.size === 0) {
      log.warn(
        "the data plane is reachable from other machines and no API key is configured: every " +
          "request will be refused; add api_keys (deno task hub keys new)" +
          (accounts.enabled ? ", create a key on the dashboard," : "") + " or set open_api: true",
      );
    }
    accounts.onSetupToken((token) =>
      log.info(
        `open ${controlUrl}/setup?token=${token} to create the first admin ` +
          "(or: deno task fleet users add <name>)",
      )
    );
    return {
      url,
      controlUrl,
      discoveryPort: discovery?.port ?? null,
      registry,
      history,
      accounts,
      packets,
      name,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * LISTEN on the schema's channel over a dedicated connection (a pooled one would be handed
 * to other queries). At start, a probe notification sent through the pool must come back,
 * which proves that LISTEN works end to end (it does not through a transaction-mode
 * connection pooler, for instance). When the connection drops (server restart, network), it
 * reconnects with backoff and then announces `work_ready`, since notifications sent while it
 * was away are lost.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import type { Logger } from '@/server/engine/logger';
import { NotificationListeners, type NotificationListener } from '../notificationListeners';
import { toExecutionRow, type DbExecutionRow } from '../rows';
import { CONNECT_TIMEOUT_MS } from './connect';

const origin = z.string().optional();
/** A finished row as `row_to_json` writes it: the columns of `DbExecutionRow`. */
const finishedRow = z.looseObject({ execution_id: z.string(), status: z.string() });
const notificationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('work_ready'), origin }),
  z.object({ type: z.literal('cancelled'), executionIds: z.array(z.string()), origin }),
  z.object({
    type: z.literal('finished'),
    executionIds: z.array(z.string()),
    rows: z.array(finishedRow).nullish(),
    origin,
  }),
  z.object({ type: z.literal('probe'), id: z.string() }),
  z.object({ type: z.literal('wake_vacancy'), group: z.string(), origin }),
]);

const PROBE_TIMEOUT_MS = 3_000;
const MAX_RECONNECT_DELAY_MS = 5_000;

export class PgListener {
  private client: pg.Client | null = null;
  private readonly listeners: NotificationListeners;
  private readonly probes = new Map<string, () => void>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs = 100;
  private closed = false;
  /** Counts connections: an advisory lock belongs to the session that took it. */
  private session = 0;
  private readonly vacancyListeners = new Set<(group: string) => void>();
  private readonly sessionLostListeners = new Set<() => void>();

  /**
   * `channel`: the schema's NOTIFY channel. `ignoredOrigin`: notifications sent by this
   * process's own client are not echoed back.
   */
  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly ignoredOrigin: string | null = null,
  ) {
    this.listeners = new NotificationListeners(logger);
  }

  /**
   * Connects, LISTENs and waits for a probe sent by `sendProbe` (through another connection).
   * False, with a warning logged, when any of it fails: callers then rely on polling.
   */
  async start(sendProbe: (payload: string) => Promise<void>): Promise<boolean> {
    try {
      await this.connect();
      const id = randomUUID();
      const received = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
        this.probes.set(id, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await sendProbe(JSON.stringify({ type: 'probe', id }));
      const ok = await received;
      this.probes.delete(id);
      if (ok) return true;
      this.logger.error(
        `PostgreSQL LISTEN/NOTIFY does not deliver (no probe within ${PROBE_TIMEOUT_MS} ms): ` +
          'falling back to polling',
      );
    } catch (error) {
      this.logger.error('PostgreSQL LISTEN failed: falling back to polling', error);
    }
    await this.close();
    return false;
  }

  subscribe(listener: NotificationListener): () => void {
    return this.listeners.add(listener);
  }

  /** Hears other processes' announcements that a wake group has no leader. */
  onVacancy(listener: (group: string) => void): void {
    this.vacancyListeners.add(listener);
  }

  /** Called when the connection drops, taking its session's advisory locks with it. */
  onSessionLost(listener: () => void): void {
    this.sessionLostListeners.add(listener);
  }

  /**
   * Takes the session advisory lock named `name` on this connection without waiting: the
   * session's number when taken, null when another session holds it or there is no connection.
   */
  async tryAdvisoryLock(name: string): Promise<number | null> {
    const client = this.client;
    if (!client) return null;
    const session = this.session;
    const result = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
      [name],
    );
    if (!result.rows[0]?.locked) return null;
    // Taken on a connection that dropped meanwhile: the lock went with it.
    return this.client === client && this.session === session ? session : null;
  }

  /** Releases a lock taken by `tryAdvisoryLock` in `session` (gone anyway if the session is). */
  async advisoryUnlock(name: string, session: number): Promise<void> {
    if (!this.client || this.session !== session) return;
    await this.client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    client.on('notification', (message) => this.dispatch(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.session += 1;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    this.session += 1;
    for (const listener of this.sessionLostListeners) listener();
    client.end().catch(() => undefined);
    this.logger.error('PostgreSQL LISTEN connection lost; reconnecting', error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().then(
        () => {
          if (this.closed) return;
          this.reconnectDelayMs = 100;
          this.logger.info('PostgreSQL LISTEN connection restored');
          this.listeners.emit({ type: 'work_ready' });
        },
        (error: unknown) => {
          this.logger.debug(`PostgreSQL LISTEN reconnect failed: ${String(error)}`);
          this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
  }

  private dispatch(payload: string | undefined): void {
    let parsed: z.infer<typeof notificationSchema>;
    try {
      parsed = notificationSchema.parse(JSON.parse(payload ?? ''));
    } catch {
      this.logger.debug(`Ignored a malformed notification: ${String(payload).slice(0, 200)}`);
      return;
    }
    if (parsed.type === 'probe') {
      this.probes.get(parsed.id)?.();
      return;
    }
    const { origin: sender, ...notification } = parsed;
    if (sender !== undefined && sender === this.ignoredOrigin) return;
    if (notification.type === 'wake_vacancy') {
      for (const listener of this.vacancyListeners) listener(notification.group);
      return;
    }
    if (notification.type !== 'finished') return this.listeners.emit(notification);
    const { executionIds, rows } = notification;
    this.listeners.emit({
      type: 'finished',
      executionIds,
      // Rows written by this project's own run-results statement, all columns present.
      ...(rows
        ? { rows: rows.map((row) => toExecutionRow(row as unknown as DbExecutionRow)) }
        : {}),
    });
  }
}

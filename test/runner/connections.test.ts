import { describe, expect, it } from 'vitest';
import type { NamedConnection } from '../../src/config/config-types.js';
import type { FileTarget, HttpClientOptions, SqlSource } from '../../src/adapters/adapter-types.js';
import { createConnections, httpOptionsFor } from '../../src/adapters/connections.js';
import type { JobLogger } from '../../src/jobs/job-types.js';
import { Redactor } from '../../src/util/redactor.js';
import { pgConnection } from './helpers/run-fixtures.js';

const sftp: NamedConnection = {
  name: 'vendor',
  type: 'sftp',
  host: 'sftp.example.com',
  port: 22,
  username: 'u',
  password: 'sftp-pass-123',
  privateKey: null,
  passphrase: null,
  hostKey: 'SHA256:abc',
  knownHostsFile: null,
  connectTimeoutMs: 1000,
  retries: 0,
  retryDelayMs: 0,
  tempDir: null,
};
const alma: NamedConnection = {
  name: 'alma',
  type: 'alma',
  url: 'https://api-na.hosted.exlibrisgroup.com',
  apiKey: 'l8xx-alma-key',
  minRemaining: 1000,
  timeoutMs: 5000,
  concurrency: 4,
  ratePerSecond: 20,
  retries: 3,
  retryDelayMs: 500,
};

function logger(): JobLogger & { lines: string[] } {
  const lines: string[] = [];
  const at = (lvl: string) => (m: string, meta?: Record<string, unknown>) => lines.push(`${lvl} ${m} ${JSON.stringify(meta ?? {})}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function fakeSql(conn: NamedConnection, closed: string[], failClose = false): SqlSource {
  return {
    kind: 'postgres',
    description: `postgres ${conn.name}`,
    connect: async () => undefined,
    stream: async function* () {},
    streamBatches: async function* () {},
    all: async () => [],
    close: async () => {
      closed.push(conn.name);
      if (failClose) throw new Error(`close failed; password was sftp-pass-123`);
    },
  };
}

describe('createConnections', () => {
  it('config() returns a declared connection and refuses undeclared names and wrong types', () => {
    const c = createConnections({ db: pgConnection('pw-1234'), vendor: sftp }, { redactor: new Redactor(), log: logger(), signal: new AbortController().signal });
    expect(c.config('db', 'postgres', 'oracle').name).toBe('db');
    expect(c.config('vendor').type).toBe('sftp');
    expect(() => c.config('moodle')).toThrow('job uses connection "moodle" which it did not declare (declared: db, vendor)');
    expect(() => c.config('db', 'sftp', 'local')).toThrow('connection "db" is of type postgres; this use expects sftp or local');
    // Inherited object keys are not connections.
    expect(() => c.config('toString')).toThrow('job uses connection "toString" which it did not declare');
  });

  it('loads adapter modules lazily, caches per name, and closeAll closes what was opened despite failures', async () => {
    const closed: string[] = [];
    let sqlLoads = 0;
    let opened = 0;
    const log = logger();
    const redactor = new Redactor(['sftp-pass-123']);
    const c = createConnections(
      { db: pgConnection('pw-1234'), db2: { ...pgConnection('pw-5678'), name: 'db2' }, vendor: sftp },
      {
        redactor,
        log,
        signal: new AbortController().signal,
        loaders: {
          sql: async () => {
            sqlLoads++;
            return {
              openSqlSource: (conn) => {
                opened++;
                return fakeSql(conn, closed, conn.name === 'db');
              },
            };
          },
          files: async () => ({
            openFileTarget: (conn) => ({ kind: 'sftp', description: conn.name, close: async () => void closed.push(conn.name) }) as unknown as FileTarget,
          }),
        },
      },
    );
    const [a, b] = await Promise.all([c.sql('db'), c.sql('db')]);
    expect(a).toBe(b);
    await c.sql('db2');
    await c.files('vendor');
    expect(opened).toBe(2);
    expect(sqlLoads).toBe(2);
    await expect(c.sql('vendor')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(c.files('db')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await c.closeAll();
    expect(closed.sort()).toEqual(['db', 'db2', 'vendor']);
    // The failing close was logged, redacted, and did not stop the others.
    expect(log.lines.some((l) => l.startsWith('warn closing a connection failed') && l.includes('[REDACTED]'))).toBe(true);
    expect(log.lines.join('\n')).not.toContain('sftp-pass-123');
  });

  it('opens nothing new once the run is being cancelled', async () => {
    const ac = new AbortController();
    let loads = 0;
    const c = createConnections({ db: pgConnection('pw-1234') }, {
      redactor: new Redactor(),
      log: logger(),
      signal: ac.signal,
      loaders: { sql: async () => (loads++, { openSqlSource: (conn) => fakeSql(conn, []) }) },
    });
    ac.abort();
    await expect(c.sql('db')).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    expect(loads).toBe(0);
  });

  it('builds HTTP client options from the connection, with the Alma key as a header and redaction', async () => {
    let got: HttpClientOptions | undefined;
    const log = logger();
    const c = createConnections({ alma }, {
      redactor: new Redactor(['l8xx-alma-key']),
      log,
      signal: new AbortController().signal,
      loaders: { http: async () => ({ createHttpClient: (o) => ((got = o), { request: async () => ({}) as never, stats: () => ({ requests: 0, retries: 0, peakPerSecond: 0 }) }) }) },
    });
    await c.http('alma');
    expect(got).toMatchObject({
      name: 'alma',
      baseUrl: 'https://api-na.hosted.exlibrisgroup.com',
      timeoutMs: 5000,
      concurrency: 4,
      ratePerSecond: 20,
      retries: 3,
      retryDelayMs: 500,
      headers: { Authorization: 'apikey l8xx-alma-key' },
    });
    expect(got!.redact('key=l8xx-alma-key')).toBe('key=[REDACTED]');
    got!.onRequest?.({ method: 'GET', url: 'https://x/y', status: 200, ms: 12, attempt: 1 });
    expect(log.lines).toEqual([expect.stringMatching(/^debug http request .*"connection":"alma".*"status":200/)]);
  });

  it('gives Slack the webhook URL as base and a single-flight client', () => {
    const slack: NamedConnection = { name: 'ops', type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/secret', timeoutMs: 3000 };
    const o = httpOptionsFor(slack as Parameters<typeof httpOptionsFor>[0], { redactor: new Redactor(), log: logger() });
    expect(o).toMatchObject({ name: 'ops', baseUrl: 'https://hooks.slack.com/services/T/B/secret', timeoutMs: 3000, concurrency: 1 });
    expect(o.headers).toBeUndefined();
  });
});

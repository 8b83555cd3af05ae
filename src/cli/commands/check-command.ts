import type { CliIo } from '../cli-io.js';
import { jobOrThrow, loadCliConfig, reportError } from '../cli-io.js';
import type { NamedConnection } from '../../config/config-types.js';
import { jobConnections } from '../../config/job-connections.js';
import { createConnections } from '../../adapters/connections.js';
import { serializeError } from '../../errors/serialize-error.js';
import type { Connections, JobLogger } from '../../jobs/job-types.js';

/**
 * `sisrelay check <job>`: test every connection the job uses without running it — database
 * login, SFTP host key and login, web-service token, mail relay login. Slack webhooks are not
 * called (that would post a message). Exit 0 only when every check passed.
 */
export async function checkCommand(io: CliIo, jobName: string, opts: { config?: string }): Promise<number> {
  try {
    const config = loadCliConfig(io, opts.config, { resolveSecrets: true });
    const job = jobOrThrow(config, jobName);
    const used = jobConnections(config, job);
    const quiet: JobLogger = { debug() {}, info() {}, warn() {}, error() {} };
    const conns = createConnections(used, { redactor: io.redactor, log: quiet, signal: new AbortController().signal });
    let failed = 0;
    try {
      for (const conn of Object.values(used)) {
        const started = Date.now();
        try {
          const what = await checkOne(conns, conn);
          io.out(`ok    ${conn.name} (${conn.type}): ${what} [${Date.now() - started} ms]`);
        } catch (err) {
          failed += 1;
          const e = serializeError(err);
          io.out(`FAIL  ${conn.name} (${conn.type}): ${e.code}: ${e.message}`);
        }
      }
    } finally {
      await conns.closeAll();
    }
    io.out(failed === 0 ? `all ${job.connections.length} connections of ${job.name} work` : `${failed} of ${job.connections.length} connections failed`);
    return failed === 0 ? 0 : 1;
  } catch (err) {
    return reportError(io, err);
  }
}

async function checkOne(conns: Connections, conn: NamedConnection): Promise<string> {
  switch (conn.type) {
    case 'oracle':
    case 'mssql':
    case 'postgres':
    case 'pglite': {
      const src = await conns.sql(conn.name);
      await src.connect();
      return `logged in (${src.description})`;
    }
    case 'sftp':
    case 'local': {
      const target = await conns.files(conn.name);
      await target.connect();
      const entries = await target.list('.');
      return `${conn.type === 'sftp' ? 'host key verified, logged in' : 'directory readable'}; ${entries.length} entries in the login directory (${target.description})`;
    }
    case 'moodle': {
      const { MoodleClient } = await import('../../adapters/moodle/moodle-client.js');
      const info = await new MoodleClient(await conns.http(conn.name), { token: conn.token }).siteInfo();
      return `token accepted by ${info.sitename ?? 'Moodle'} as ${info.username ?? '?'}`;
    }
    case 'alma': {
      const { AlmaClient } = await import('../../adapters/alma/alma-client.js');
      const alma = new AlmaClient(await conns.http(conn.name), { minRemaining: 0 });
      const found = await alma.searchCourses({ q: 'year~2000', limit: 1 });
      return `API key accepted; ${alma.remaining ?? '?'} calls left today (${found.total} courses matched a probe)`;
    }
    case 'smtp': {
      const { smtpTransport } = await import('../../notify/mailer.js');
      const transport = smtpTransport(conn);
      try {
        await transport.verify();
      } finally {
        transport.close();
      }
      return `relay ${conn.host}:${conn.port} accepted the connection${conn.user ? ' and login' : ''}`;
    }
    case 'slack':
      return 'not called (a test would post a message); the URL is configured';
  }
}

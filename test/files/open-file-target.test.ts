import { describe, expect, it } from 'vitest';
import { LocalTarget } from '../../src/adapters/files/local-target.js';
import { openFileTarget } from '../../src/adapters/files/open-file-target.js';
import { SftpTarget } from '../../src/adapters/files/sftp-target.js';
import type { NamedConnection, SftpConnection } from '../../src/config/config-types.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';
import { captureLog } from './test-log.js';

const opts = { redactor: new Redactor(), log: captureLog() };
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

const sftp = (over: Partial<SftpConnection> = {}): NamedConnection<SftpConnection> => ({
  name: 'littlesis',
  type: 'sftp',
  host: 'sftp.littlesis.example',
  port: 2225,
  username: 'district118',
  password: 'pw-abcdef',
  privateKey: null,
  passphrase: null,
  hostKey: KEY,
  knownHostsFile: null,
  connectTimeoutMs: 15000,
  retries: 2,
  retryDelayMs: 1000,
  tempDir: null,
  ...over,
});

function configError(fn: () => unknown): SisrelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SisrelayError) return err;
    throw err;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('openFileTarget', () => {
  it('builds an SftpTarget for sftp connections, without connecting', () => {
    const t = openFileTarget(sftp(), opts);
    expect(t).toBeInstanceOf(SftpTarget);
    expect(t.kind).toBe('sftp');
    expect(t.description).toBe('sftp://district118@sftp.littlesis.example:2225');
  });

  it('brackets an IPv6 host in the description', () => {
    expect(openFileTarget(sftp({ host: '::1' }), opts).description).toBe('sftp://district118@[::1]:2225');
  });

  it('builds a LocalTarget for local connections', () => {
    const t = openFileTarget({ name: 'drop', type: 'local', path: '/srv/drop', create: false }, opts);
    expect(t).toBeInstanceOf(LocalTarget);
    expect(t.description).toBe('local:/srv/drop');
  });

  it('refuses other connection types with CONFIG_INVALID naming the connection', () => {
    const e = configError(() =>
      openFileTarget({ name: 'moodle', type: 'moodle', url: 'https://m', token: 't', timeoutMs: 1, concurrency: 1, ratePerSecond: 0, retries: 0, retryDelayMs: 0 }, opts),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('"moodle"');
    expect(e.message).toContain('sftp or local');
  });

  it.each([
    ['no host key pin at all', { hostKey: null }, /exactly one of hostKey and knownHostsFile \(found 0\)/],
    ['two pins', { knownHostsFile: '/etc/ssh/ssh_known_hosts' }, /found 2/],
    ['no credentials', { password: null }, /password or privateKey/],
    ['an unparsable hostKey', { hostKey: 'not a key' }, /"littlesis": hostKey is not a known_hosts line/],
    ['a bad port', { port: 0 }, /port must be 1-65535/],
  ])('rejects an sftp connection with %s', (_n, over, msg) => {
    const e = configError(() => openFileTarget(sftp(over as Partial<SftpConnection>), opts));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(msg);
    expect(e.message).not.toContain('pw-abcdef');
  });
});

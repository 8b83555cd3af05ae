import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isReconnectable, mapLocalError, mapSftpError, type SftpErrorContext } from '../../src/adapters/files/transfer-errors.js';
import { SisrelayError } from '../../src/errors/sisrelay-error.js';
import { Redactor } from '../../src/util/redactor.js';

const SECRET = 'hunter2-secret-pw';
const redactor = new Redactor([SECRET]);
const ctx = (over: Partial<SftpErrorContext> = {}): SftpErrorContext => ({
  endpoint: 'sftp://uws@sftp.example.org:22222',
  action: 'upload conduit/enrollments.csv',
  path: 'conduit',
  connectionLost: false,
  redact: (t) => redactor.redact(t),
  timeoutMs: 15000,
  ...over,
});
const err = (message: string, props: Record<string, unknown> = {}) => Object.assign(new Error(message), props);

describe('mapSftpError', () => {
  it.each([
    ['host key refused', err('getConnection: Host denied (verification failed)'), 'SFTP_HOST_KEY_MISMATCH', false],
    ['no host key of the pinned type', err('Handshake failed: no matching host key format', { level: 'handshake' }), 'SFTP_HOST_KEY_MISMATCH', false],
    ['bad login', err('getConnection: All configured authentication methods failed'), 'SFTP_AUTH_FAILED', false],
    ['auth level without the usual text', err('whatever', { level: 'client-authentication' }), 'SFTP_AUTH_FAILED', false],
    ['refused', err('connect ECONNREFUSED 10.0.0.1:22', { code: 'ECONNREFUSED' }), 'SFTP_CONNECT_FAILED', true],
    ['tcp timeout', err('connect ETIMEDOUT', { code: 'ETIMEDOUT' }), 'SFTP_CONNECT_FAILED', true],
    ['unreachable', err('connect EHOSTUNREACH', { code: 'EHOSTUNREACH' }), 'SFTP_CONNECT_FAILED', true],
    ['handshake timeout', err('Timed out while waiting for handshake', { level: 'client-timeout' }), 'SFTP_CONNECT_FAILED', true],
    ['cipher negotiation', err('Handshake failed: no matching C->S cipher', { level: 'handshake' }), 'SFTP_CONNECT_FAILED', false],
    ['reset', err('read ECONNRESET', { code: 'ECONNRESET' }), 'SFTP_CONNECTION_LOST', true],
    ['channel gone', err('No response from server'), 'SFTP_CONNECTION_LOST', true],
    ['client close event', err('_put: Unexpected close event', { code: 'ERR_GENERIC_CLIENT' }), 'SFTP_CONNECTION_LOST', true],
    ['status 7', err('Connection lost', { code: 7 }), 'SFTP_CONNECTION_LOST', true],
    ['permission denied', err('_put: Write stream error: Permission denied /x', { code: 3 }), 'TRANSFER_PERMISSION_DENIED', false],
    ['no such file', err('_put: Write stream error: No such file /x', { code: 2 }), 'TRANSFER_NO_SUCH_PATH', false],
    ['ENOENT from stat', err('_xstat: No such file: /x', { code: 'ENOENT' }), 'TRANSFER_NO_SUCH_PATH', false],
    ['generic failure', err('_rename: Failure', { code: 4 }), 'TRANSFER_FAILED', true],
    ['not an error', 'weird string', 'TRANSFER_FAILED', true],
  ])('%s → %s (transient %s)', (_n, input, code, transient) => {
    const e = mapSftpError(input, ctx());
    expect(e).toBeInstanceOf(SisrelayError);
    expect(e.code).toBe(code);
    expect(e.transient).toBe(transient);
    expect(e.message.startsWith('sftp://uws@sftp.example.org:22222')).toBe(true);
  });

  it('treats any failure after the connection closed as a lost connection', () => {
    expect(mapSftpError(err('_put: Write stream error: Failure', { code: 4 }), ctx({ connectionLost: true })).code).toBe('SFTP_CONNECTION_LOST');
  });

  it('names the path for permission and missing-path errors', () => {
    expect(mapSftpError(err('x', { code: 3 }), ctx({ path: '/readonly' })).message).toContain('permission denied on /readonly');
    expect(mapSftpError(err('x', { code: 2 }), ctx({ path: '/upload/nope' })).message).toContain('/upload/nope does not exist');
  });

  it('shows the presented and the expected key in a mismatch and names host:port', () => {
    const e = mapSftpError(err('Host denied (verification failed)'), {
      ...ctx(),
      hostKey: { presented: 'ssh-ed25519 key SHA256:AAA', reason: 'it does not match the configured hostKey (ssh-ed25519 SHA256:BBB)', hostPort: '[sftp.example.org]:22222' },
    });
    expect(e.message).toContain('[sftp.example.org]:22222');
    expect(e.message).toContain('presented ssh-ed25519 key SHA256:AAA');
    expect(e.message).toContain('SHA256:BBB');
  });

  it('runs driver text through the redactor', () => {
    const e = mapSftpError(err(`login failed for password=${SECRET}`, { level: 'client-authentication' }), ctx());
    expect(e.message).not.toContain(SECRET);
    expect(e.message).toContain('[REDACTED]');
    const f = mapSftpError(err(`odd failure ${SECRET}`, { code: 4 }), ctx());
    expect(f.message).not.toContain(SECRET);
  });

  it('keeps the driver code in details and returns SisrelayErrors unchanged', () => {
    expect(mapSftpError(err('x', { code: 4 }), ctx()).details).toMatchObject({ driverCode: 4, path: 'conduit' });
    const own = new SisrelayError('TRANSFER_TARGET_EXISTS', 'already');
    expect(mapSftpError(own, ctx())).toBe(own);
  });
});

describe('mapLocalError', () => {
  it.each([
    ['EACCES', 'TRANSFER_PERMISSION_DENIED'],
    ['EPERM', 'TRANSFER_PERMISSION_DENIED'],
    ['EROFS', 'TRANSFER_PERMISSION_DENIED'],
    ['ENOENT', 'TRANSFER_NO_SUCH_PATH'],
    ['ENOTDIR', 'TRANSFER_NO_SUCH_PATH'],
    ['EEXIST', 'TRANSFER_TARGET_EXISTS'],
    ['ENOSPC', 'TRANSFER_FAILED'],
  ])('%s → %s', (code, expected) => {
    const e = mapLocalError(err(`${code}: something`, { code }), { endpoint: 'local:/srv/drop', action: 'write x.csv', path: '/upload' });
    expect(e.code).toBe(expected);
    expect(e.message).toContain('local:/srv/drop');
    expect(e.message).toContain('/upload');
  });
});

describe('retry policy', () => {
  it.each([
    [new SisrelayError('SFTP_CONNECT_FAILED', 'x'), true],
    [new SisrelayError('SFTP_CONNECTION_LOST', 'x'), true],
    [new SisrelayError('SFTP_CONNECT_FAILED', 'handshake', { transient: false }), false],
    [new SisrelayError('SFTP_AUTH_FAILED', 'x'), false],
    [new SisrelayError('SFTP_HOST_KEY_MISMATCH', 'x'), false],
    [new SisrelayError('TRANSFER_PERMISSION_DENIED', 'x'), false],
    [new SisrelayError('TRANSFER_FAILED', 'x'), false],
    [new Error('ECONNRESET'), false],
  ])('isReconnectable(%s) = %s', (e, expected) => {
    expect(isReconnectable(e)).toBe(expected);
  });

  it.each([
    [500, 1, 500],
    [500, 2, 1000],
    [500, 3, 2000],
    [500, 10, 30000],
    [0, 3, 0],
  ])('backoffDelayMs(%d, attempt %d) = %d', (base, attempt, expected) => {
    expect(backoffDelayMs(base, attempt)).toBe(expected);
  });
});

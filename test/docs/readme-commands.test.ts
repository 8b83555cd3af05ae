import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, ensureDist } from '../acceptance/harness/dist.js';

/**
 * Every `sisrelay` command in the README's shell blocks is run here, as written, against an
 * installed-like layout: /etc/sisrelay/sisrelay.json is a copy of config/example.json and
 * /etc/sisrelay/credentials holds one file per documented secret (so the LoadCredential naming
 * is exercised too). Commands that need systemd (systemctl, journalctl, systemd-run through
 * deploy/sisrelay-admin), never end (-f), or would change this machine (apt-get, useradd,
 * npm prune of this checkout) are listed explicitly instead, so a new README command is either
 * run here or consciously added to that list.
 */
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const NOT_RUNNABLE_HERE = [/^\$EDITOR /, /systemctl /, /journalctl /, /sisrelay-admin /, / -f\b/, /^tail -F /, /^cd \/opt\/sisrelay/, /^git clone /, /^apt-get /, /^useradd /, /^install /, /^printf /, /^chmod /, /^ssh-keyscan /, /^ln -s /, /^npm ci && npm test$/, /^npm ci && npm prune --omit=dev$/, /^npm ci && npx sisrelay start/];

function shellLines(): string[] {
  const lines: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line !== '' && !line.startsWith('#')) lines.push(line);
    }
  }
  return lines;
}

let etc: string;
beforeAll(() => {
  ensureDist();
  etc = mkdtempSync(join(tmpdir(), 'sisrelay-etc-'));
  const example = readFileSync(join(ROOT, 'config', 'example.json'), 'utf8');
  // The example's state and log directories, moved under the temp dir (the one change).
  writeFileSync(join(etc, 'sisrelay.json'), example.replace("'/var/lib/sisrelay'", `'${join(etc, 'state')}'`).replace("'/var/log/sisrelay'", `'${join(etc, 'logs')}'`));
  mkdirSync(join(etc, 'credentials'), { mode: 0o700 });
  for (const m of example.matchAll(/^\/\/ {3}([A-Z][A-Z0-9_]+) {2,}/gm)) writeFileSync(join(etc, 'credentials', m[1]!), `readme-test-${m[1]}\n`, { mode: 0o600 });
  cpSync(join(ROOT, 'data'), join(etc, 'data'), { recursive: true });
});
afterAll(() => rmSync(etc, { recursive: true, force: true }));

describe('README shell commands', () => {
  it('runs every sisrelay command of the README and each exits 0', () => {
    const runnable = shellLines().filter((l) => !NOT_RUNNABLE_HERE.some((re) => re.test(l)));
    const sisrelayLines = runnable.filter((l) => /\bsisrelay(\.js)?\b/.test(l));
    expect(sisrelayLines.length).toBeGreaterThanOrEqual(6);
    for (const line of sisrelayLines) {
      const cmd = line
        .replaceAll('/etc/sisrelay/credentials', join(etc, 'credentials'))
        .replaceAll('/etc/sisrelay/sisrelay.json', join(etc, 'sisrelay.json'))
        .replaceAll('node /opt/sisrelay/bin/sisrelay.js', `node ${BIN}`)
        .replaceAll('node bin/sisrelay.js', `node ${BIN}`)
        .replace(/(^|&& |CREDENTIALS_DIRECTORY=\S+ )sisrelay /g, `$1node ${BIN} `);
      // The CLI's default path is /etc/sisrelay/sisrelay.json; here that file lives in the temp dir.
      const r = spawnSync('sh', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, TZ: 'UTC', SISRELAY_CONFIG: join(etc, 'sisrelay.json') }, timeout: 60_000 });
      expect(r.status, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
  }, 180_000);

  it('leaves nothing out without saying so: every shell line is either run above or listed as not runnable here', () => {
    const unknown = shellLines().filter((l) => !NOT_RUNNABLE_HERE.some((re) => re.test(l)) && !/\bsisrelay(\.js)?\b/.test(l));
    expect(unknown).toEqual([]);
  });
});

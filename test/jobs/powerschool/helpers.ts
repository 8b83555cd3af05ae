import { readFile } from 'node:fs/promises';
import { chown, mkdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { POWERSCHOOL_DDL } from '../../../src/datagen/powerschool-schema.js';
import type { PgFixture } from '../../fixtures/postgres.js';
import type { SshdFixture } from '../../fixtures/sshd.js';
import { cleverParamsSchema, type CleverParams } from '../../../src/jobs/clever-demographics/descriptor.js';
import { littlesisParamsSchema, type LittlesisParams } from '../../../src/jobs/littlesis-roster/descriptor.js';
import { samegoalParamsSchema, type SamegoalParams } from '../../../src/jobs/samegoal-demographics/descriptor.js';

export const GOLDEN_DIR = new URL('./golden/', import.meta.url);

/** 2026-10-15 03:00 in America/Chicago (CDT): the instant of the golden runs. */
export const GOLDEN_INSTANT = new Date('2026-10-15T08:00:00.000Z');
export const GOLDEN_ZONE = 'America/Chicago';

export function golden(name: string): Promise<Buffer> {
  return readFile(new URL(name, GOLDEN_DIR));
}

/** The `default` of every key of a convict params schema: the params a job gets from an empty block. */
export function schemaDefaults<T>(schema: Record<string, { default: unknown }>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = structuredClone(v.default);
  return out as T;
}

export const littlesisDefaults = (over: Partial<LittlesisParams> = {}): LittlesisParams => ({
  ...schemaDefaults<LittlesisParams>(littlesisParamsSchema as never),
  ...over,
});
export const cleverDefaults = (over: Partial<CleverParams> = {}): CleverParams => ({
  ...schemaDefaults<CleverParams>(cleverParamsSchema as never),
  ...over,
});
export const samegoalDefaults = (over: Partial<SamegoalParams> = {}): SamegoalParams => ({
  ...schemaDefaults<SamegoalParams>(samegoalParamsSchema as never),
  ...over,
});

/** A new database holding the PowerSchool schema, the hand-made district and any extra SQL. */
export async function loadGoldenDistrict(pg: PgFixture, db: string, extraSql: string[] = [], withDistrict = true): Promise<void> {
  await pg.createDatabase(db);
  const c = await pg.client(db);
  try {
    for (const ddl of POWERSCHOOL_DDL) await c.query(ddl);
    if (withDistrict) await c.query(await readFile(new URL('district.sql', GOLDEN_DIR), 'utf8'));
    for (const sql of extraSql) await c.query(sql);
  } finally {
    await c.end();
  }
}

const run = promisify(execFile);

/** Host path of a path under sftpuser's login directory (/upload). */
export function uploadPath(sshd: SshdFixture, rel = ''): string {
  return join(sshd.chrootDir, 'upload', rel);
}

/** A directory under /upload owned by sftpuser (as if the vendor had created it). */
export async function makeUploadDir(sshd: SshdFixture, rel: string): Promise<string> {
  const dir = uploadPath(sshd, rel);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const [{ stdout: u }, { stdout: g }] = await Promise.all([run('id', ['-u', sshd.user]), run('id', ['-g', sshd.user])]);
  let p = dir;
  const root = uploadPath(sshd);
  while (p.startsWith(root) && p !== root) {
    await chown(p, Number(u.trim()), Number(g.trim()));
    p = join(p, '..');
  }
  return dir;
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import JSON5 from 'json5';
import { loadConfig } from '../../src/config/load-config.js';
import { jobCatalog } from '../../src/jobs/catalog.js';
import { daemonSchema, jobSchema } from '../../src/config/daemon-schema.js';

// config/example.json is the documented example: it must validate with exactly the environment
// variables its header documents, define all six jobs under their type names, and use the zones
// the product card asks for.
const file = new URL('../../config/example.json', import.meta.url).pathname;
const text = readFileSync(file, 'utf8');
const documented = [...text.matchAll(/^\/\/ {3}([A-Z][A-Z0-9_]+) {2,}\S/gm)].map((m) => m[1]!);

describe('config/example.json', () => {
  it('documents the environment variables it uses, and validates with only those set', () => {
    const used = [...new Set([...text.matchAll(/\{\s*env:\s*'([A-Z0-9_]+)'\s*\}/g)].map((m) => m[1]!))].sort();
    expect([...documented].sort()).toEqual(used);
    const env = Object.fromEntries(documented.map((n) => [n, `value-of-${n.toLowerCase()}`]));
    const config = loadConfig({ file, catalog: jobCatalog(), env });
    expect(Object.keys(config.jobs).sort()).toEqual([
      'clever-demographics', 'leganto-courses', 'leganto-rollover-report', 'littlesis-roster', 'moodle-enrollments', 'samegoal-demographics',
    ]);
    for (const job of Object.values(config.jobs)) expect(job.type).toBe(job.name);
    for (const name of ['littlesis-roster', 'clever-demographics', 'moodle-enrollments', 'samegoal-demographics']) {
      expect(config.jobs[name]!.timezone).toBe('America/Chicago');
    }
    expect(config.jobs['leganto-courses']!.timezone).toBe('America/Phoenix');
    expect(config.jobs['leganto-rollover-report']!.timezone).toBe('America/Phoenix');
    expect(config.jobs['leganto-courses']!.schedule).toBe('20 9 * * *');
    expect(config.jobs['moodle-enrollments']!.schedule).toBe('*/15 * * * *');
    expect(config.jobs['moodle-enrollments']!.catchUpMs).toBe(0);
    expect(config.jobs['moodle-enrollments']!.overlap).toBe('skip');
  });

  it('fails when any documented variable is missing, naming it', () => {
    const env = Object.fromEntries(documented.slice(1).map((n) => [n, 'x']));
    expect(() => loadConfig({ file, catalog: jobCatalog(), env })).toThrow(new RegExp(documented[0]!));
  });

  it('sets every daemon option, every job option and every job type\'s params at least once', () => {
    const parsed = JSON5.parse(text) as { daemon: object; jobs: Record<string, { params?: object } & Record<string, unknown>> };
    const leaves = (schema: object, prefix = ''): string[] =>
      Object.entries(schema).flatMap(([k, v]) =>
        typeof v === 'object' && v !== null && 'doc' in v ? [`${prefix}${k}`] : leaves(v as object, `${prefix}${k}.`));
    const has = (obj: unknown, path: string): boolean =>
      path.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null && k in o ? (o as Record<string, unknown>)[k] : undefined), obj) !== undefined;
    expect(leaves(daemonSchema).filter((k) => !has(parsed.daemon, k))).toEqual([]);
    const jobKeys = leaves(jobSchema);
    expect(jobKeys.filter((k) => !Object.values(parsed.jobs).some((j) => has(j, k)))).toEqual([]);
    for (const d of jobCatalog().values()) {
      const job = Object.values(parsed.jobs).find((j) => j.type === d.type)!;
      // The rollover report shares the leganto rule tables and says so in a comment.
      const inherited = d.type === 'leganto-rollover-report' ? new Set(leaves(jobCatalog().get('leganto-courses')!.params as object)) : new Set<string>();
      expect(leaves(d.params as object).filter((k) => !has(job.params, k) && !inherited.has(k)), d.type).toEqual([]);
    }
  });
});

import type { JobCatalog } from '../jobs/job-types.js';
import { connectionSchemas, SECRET_KEYS } from './connection-schemas.js';
import { daemonSchema, jobSchema, sandboxSchema } from './daemon-schema.js';

/**
 * The README's config reference, generated from the schemas themselves (the `doc`, `format` and
 * `default` of every key), so documentation and validation cannot drift apart:
 * test/docs/readme-generated.test.ts fails when the README's copy is stale.
 * Regenerate with `npx tsx scripts/update-readme.ts` (also `sisrelay config-reference`).
 */
export function renderConfigReference(catalog: JobCatalog): string {
  const out: string[] = [];
  out.push('### `daemon`', '', ...table(daemonSchema, 'daemon'), '');
  out.push('### `jobs.<name>`', '', ...table(jobSchema, ''), '');
  out.push('### `connections.<name>`', '');
  for (const [type, schema] of Object.entries(connectionSchemas)) {
    const secrets = SECRET_KEYS[type as keyof typeof SECRET_KEYS];
    out.push(`#### type \`${type}\`${secrets.length ? ` (secrets: ${secrets.map((s) => `\`${s}\``).join(', ')})` : ''}`, '', ...table(schema, ''), '');
  }
  out.push('### `jobs.<name>.params` by job type', '');
  for (const d of catalog.values()) {
    out.push(`#### \`${d.type}\``, '', d.summary, '', ...table(d.params as Record<string, unknown>, ''), '');
  }
  out.push('### `sandbox` (demo only)', '', ...table(sandboxSchema, 'sandbox'), '');
  return out.join('\n');
}

interface Leaf {
  doc?: string;
  format?: unknown;
  default?: unknown;
}

function table(schema: Record<string, unknown>, prefix: string): string[] {
  const rows: string[] = ['| key | format | default | meaning |', '| --- | --- | --- | --- |'];
  for (const [key, leaf] of leaves(schema, prefix)) {
    rows.push(`| \`${key}\` | ${formatName(leaf.format)} | ${defaultText(leaf.default)} | ${(leaf.doc ?? '').replace(/\|/g, '\\|')} |`);
  }
  return rows;
}

function leaves(schema: Record<string, unknown>, prefix: string): Array<[string, Leaf]> {
  const out: Array<[string, Leaf]> = [];
  for (const [k, v] of Object.entries(schema)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && ('format' in v || 'default' in v) && 'doc' in v) out.push([key, v as Leaf]);
    else if (typeof v === 'object' && v !== null) out.push(...leaves(v as Record<string, unknown>, key));
  }
  return out;
}

function formatName(format: unknown): string {
  if (Array.isArray(format)) return format.map((f) => `\`${JSON.stringify(f)}\``).join(' \\| ');
  if (typeof format === 'function') return format.name.toLowerCase();
  return String(format);
}

function defaultText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  const s = JSON.stringify(value);
  return `\`${s.length > 70 ? `${s.slice(0, 67)}…` : s}\``.replace(/\|/g, '\\|');
}

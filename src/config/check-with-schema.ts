import convict from 'convict';
import type { ConfigProblem } from './config-types.js';
import { describeFound, registerConfigFormats } from './config-formats.js';

/**
 * Validate one object against a convict schema and return every problem, worded
 * "<key path>: expected …, found …", instead of convict's single combined error.
 *
 * convict is used per section (daemon, each connection, each job and its params) because
 * connections and jobs are maps with user-chosen names, which one static convict schema cannot
 * describe. Unknown keys are always errors (`allowed: 'strict'`): a typo such as "shedule" must
 * not silently fall back to a default.
 */
export function checkWithSchema<T = Record<string, unknown>>(
  schema: object,
  input: unknown,
  prefix: string,
  opts: { secretPaths?: ReadonlySet<string> } = {},
): { value: T | null; problems: ConfigProblem[] } {
  registerConfigFormats();
  const at = (key: string) => (prefix === '' ? key : key === '' ? prefix : `${prefix}.${key}`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { value: null, problems: [{ path: prefix || '(root)', message: `expected an object, found ${describeFound(input)}` }] };
  }
  const cfg = convict(schema as convict.Schema<T>);
  try {
    // convict's load() mutates nothing of ours but shares nested objects; clone to stay pure.
    cfg.load(structuredClone(input) as Partial<T>);
  } catch (err) {
    return { value: null, problems: [{ path: prefix || '(root)', message: (err as Error).message }] };
  }
  const problems: ConfigProblem[] = [];
  try {
    cfg.validate({ allowed: 'strict', output: () => {} });
  } catch (err) {
    for (const line of (err as Error).message.split('\n')) {
      if (line.trim() === '') continue;
      problems.push(translate(line, schema as Record<string, unknown>, input as Record<string, unknown>, at, opts.secretPaths));
    }
  }
  return { value: problems.length === 0 ? (cfg.getProperties() as T) : null, problems };
}

const UNDECLARED = /^configuration param '(.+)' not declared in the schema$/;
const MISSING = /^configuration param '(.+)' missing from config, did you override its parent\?$/;
const TYPED = /^([^:]+): (.*?)(?:: value was .*)?$/s;

function translate(
  line: string,
  schema: Record<string, unknown>,
  input: Record<string, unknown>,
  at: (key: string) => string,
  secretPaths: ReadonlySet<string> | undefined,
): ConfigProblem {
  let m = UNDECLARED.exec(line);
  if (m) {
    const key = m[1]!;
    const parent = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
    const allowed = declaredKeys(schema, parent);
    return { path: at(key), message: `unknown key; expected one of: ${allowed.join(', ')}` };
  }
  m = MISSING.exec(line);
  if (m) {
    const key = m[1]!;
    const parent = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : key;
    return { path: at(parent), message: `expected an object with keys ${declaredKeys(schema, parent).join(', ')}, found ${describeFound(walk(input, parent))}` };
  }
  m = TYPED.exec(line);
  if (!m) return { path: at(''), message: line };
  const key = m[1]!;
  const msg = m[2]!;
  // Formats that already say what they found (cron: "hour: expected hours 0-23 ..., found \"24\"") keep their words.
  if (msg.startsWith('expected ') || /^[\w-]+: expected .*, found /s.test(msg)) return { path: at(key), message: msg };
  const found = secretPaths?.has(key) ? 'a value (not shown)' : describeFound(walk(input, key));
  const oneOf = /^must be one of the possible values: (\[.*\])$/.exec(msg);
  if (oneOf) {
    const options = (JSON.parse(oneOf[1]!) as unknown[]).map((o) => JSON.stringify(o)).join(', ');
    return { path: at(key), message: `expected one of ${options}, found ${found}` };
  }
  const type = /^must be of type (\w+)$/.exec(msg);
  if (type) return { path: at(key), message: `expected ${article(type[1]!.toLowerCase())}, found ${found}` };
  return { path: at(key), message: `${msg}, found ${found}` };
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function walk(obj: unknown, path: string): unknown {
  if (path === '') return obj;
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Keys the schema declares at a (dot) path, for "expected one of" in unknown-key messages. */
function declaredKeys(schema: Record<string, unknown>, path: string): string[] {
  const node = walk(schema, path);
  if (typeof node !== 'object' || node === null) return [];
  return Object.keys(node).filter((k) => !k.startsWith('_'));
}

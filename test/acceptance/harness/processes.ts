import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { BIN, ROOT } from './dist.js';

/**
 * The sisrelay executable as separate processes: one-shot CLI commands and the long-running
 * daemon. Always spawned asynchronously: the fixtures that answer them (TDS bridge, Moodle and
 * Alma sandboxes, SMTP and Slack sinks) live in this test process and need its event loop while
 * the command runs. Everything a command prints is kept in a Transcript, which the secret scan
 * searches at the end.
 */

export class Transcript {
  readonly entries: Array<{ what: string; text: string }> = [];
  add(what: string, text: string): void {
    this.entries.push({ what, text });
  }
}

export interface CliResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

export interface CliOptions {
  env: NodeJS.ProcessEnv;
  transcript: Transcript;
  /** Killed (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
}

/** Only what a service would have: PATH, a zone, and the given variables (secrets included). */
export function processEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC', LANG: 'C.UTF-8', ...extra };
}

export interface RunningCli {
  child: ChildProcess;
  /** The run id once `run <id> started` was printed (sisrelay run only). */
  runId(): string | null;
  out(): string;
  done: Promise<CliResult>;
}

export function startCli(args: string[], opts: CliOptions): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: processEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r: CliResult = { args, code, signal, out, err, ms: Date.now() - started };
      opts.transcript.add(`sisrelay ${args.join(' ')} (stdout)`, out);
      opts.transcript.add(`sisrelay ${args.join(' ')} (stderr)`, err);
      resolve(r);
    });
  });
  return {
    child,
    runId: () => /^run (\S+) started/m.exec(out)?.[1] ?? null,
    out: () => out,
    done,
  };
}

export function sisrelay(args: string[], opts: CliOptions): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Direct children of a process (from /proc), e.g. the run process under `sisrelay run`. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // comm may hold spaces and parentheses: the fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** argv and environment of a live process, as `ps e` would show them (for the secret scan). */
export function processListing(pid: number): string | null {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').join(' ');
    return `${cmdline}\n${environ}`;
  } catch {
    return null;
  }
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string, stepMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `sisrelay start` as its own process. Lifecycle lines arrive on stdout (and in
 * <logDir>/sisrelay.log); waitFor() watches stdout from an offset so a test can wait for the next
 * occurrence of a line after an action.
 */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #out = '';
  #err = '';
  readonly #transcript: Transcript;
  readonly #label: string;

  private constructor(child: ChildProcess, transcript: Transcript, label: string) {
    this.child = child;
    this.#transcript = transcript;
    this.#label = label;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.#out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.#err += d));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        transcript.add(`${label} (stdout)`, this.#out);
        transcript.add(`${label} (stderr)`, this.#err);
        resolve({ code, signal });
      });
    });
  }

  static async start(configFile: string, opts: { env: NodeJS.ProcessEnv; transcript: Transcript; label?: string; readyTimeoutMs?: number }): Promise<DaemonProcess> {
    const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { cwd: ROOT, env: processEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    const d = new DaemonProcess(child, opts.transcript, opts.label ?? `sisrelay start --config ${configFile}`);
    await d.waitFor(/ info {2}ready /, opts.readyTimeoutMs ?? 30_000, 0);
    return d;
  }

  get pid(): number {
    return this.child.pid!;
  }

  out(): string {
    return this.#out;
  }

  err(): string {
    return this.#err;
  }

  get offset(): number {
    return this.#out.length;
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first stdout line matching `re` after `from`; throws if the daemon exits first. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const text = this.#out.slice(from);
      for (const line of text.split('\n')) if (re.test(line)) return line;
      if (!this.running()) throw new Error(`${this.#label} exited before printing ${re}:\n${this.#out}\n${this.#err}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} from ${this.#label}:\n${text.slice(-4000)}`);
      await sleep(50);
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running()) process.kill(this.pid, sig);
  }

  /** SIGTERM and wait for the exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  async kill9(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}

/**
 * A copy of a driver error that is safe to keep as a SisrelayError `cause`. Run logs print cause
 * stacks, and drivers quote what they were given: nodemailer repeats the server's reply, undici
 * repeats URLs ("Failed to parse URL from https://hooks.slack.com/services/..."). The copy keeps
 * name, message, stack and errno-style code, each passed through `scrub`.
 */
export function safeCause(err: unknown, scrub: (text: string) => string): Error {
  const src = err instanceof Error ? err : new Error(String(err));
  const inner = src.cause instanceof Error ? src.cause : undefined;
  const copy = new Error(scrub(inner ? `${src.message}: ${inner.message}` : src.message));
  copy.name = src.name;
  const code = (src as { code?: unknown }).code ?? (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  copy.stack = scrub(src.stack ?? `${src.name}: ${src.message}`);
  return copy;
}

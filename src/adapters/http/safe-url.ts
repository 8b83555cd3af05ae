/**
 * URLs end up in errors, logs and run records, and web services put credentials in them (Moodle's
 * `wstoken`, Alma's `apikey`, signed links' `sig`). The redactor only knows configured secrets by
 * value; this masks them by *position* too, so a token that was never configured (or was rotated
 * since the config was loaded) still does not leak.
 */
export const MASK = '***';

const CREDENTIAL_PARAMS = new Set(['wstoken', 'token', 'apikey', 'api_key', 'key', 'password', 'secret', 'sig']);
/** Longer names that plainly hold a credential: access_token, client_secret, db_password, x-api-key. */
const CREDENTIAL_SUFFIX = /(token|secret|password|passwd|apikey|api_key|api-key|signature)$/i;

export function isCredentialParam(name: string): boolean {
  const n = name.toLowerCase();
  return CREDENTIAL_PARAMS.has(n) || CREDENTIAL_SUFFIX.test(n);
}

/**
 * The URL with credential-like query values and any userinfo password replaced by `***`.
 * Text that does not parse as a URL is returned with `name=value` pairs masked the same way.
 */
export function maskUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return String(url).replace(/([?&;]|^)([^=&?#;\s]+)=([^&#;\s]*)/g, (all, sep: string, name: string) =>
      isCredentialParam(decodeSafe(name)) ? `${sep}${name}=${MASK}` : all,
    );
  }
  if (u.password !== '') u.password = MASK;
  if ([...u.searchParams.keys()].some(isCredentialParam)) {
    // Rebuilt in place so the masked URL keeps the parameter order of the real one.
    const pairs = [...u.searchParams].map(([k, v]): [string, string] => [k, isCredentialParam(k) ? MASK : v]);
    u.search = new URLSearchParams(pairs).toString();
  }
  return u.toString();
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

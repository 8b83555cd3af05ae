/**
 * Windows zone names admins copy from SQL Server or PowerShell (`Get-TimeZone`), with the IANA
 * name to use instead. node-cron only rejects a bad zone when the task starts, i.e. after the
 * daemon has already accepted the config, so we catch these at load with a useful hint.
 */
const WINDOWS_ZONES: Record<string, string> = {
  'eastern standard time': 'America/New_York',
  'central standard time': 'America/Chicago',
  'mountain standard time': 'America/Denver (observes DST) or America/Phoenix (no DST)',
  'us mountain standard time': 'America/Phoenix',
  'pacific standard time': 'America/Los_Angeles',
  'alaskan standard time': 'America/Anchorage',
  'hawaiian standard time': 'Pacific/Honolulu',
  'atlantic standard time': 'America/Halifax',
  'us eastern standard time': 'America/Indiana/Indianapolis',
  'gmt standard time': 'Europe/London',
  'w. europe standard time': 'Europe/Berlin',
  'coordinated universal time': 'UTC',
};

const EXPECTED = 'expected an IANA time zone name such as America/Chicago';

/**
 * null when `zone` is a time zone name that Intl (and therefore node-cron) accepts; otherwise the
 * problem, worded "expected …, found …". Numeric offsets ("+05:00") are refused even where the
 * runtime accepts them: they never observe DST, and an admin who wrote one almost always meant a
 * place.
 */
export function validateTimeZone(zone: string): string | null {
  if (typeof zone !== 'string') return `${EXPECTED}, found ${typeof zone}`;
  if (zone.trim() === '') return `${EXPECTED}, found an empty string`;
  const found = JSON.stringify(zone);
  if (zone !== zone.trim()) return `${EXPECTED}, found ${found} (remove the surrounding spaces)`;
  const windows = WINDOWS_ZONES[zone.toLowerCase()];
  if (windows) return `${EXPECTED}, found ${found} (a Windows zone name; use ${windows})`;
  if (/^[+\-\d]/.test(zone)) return `${EXPECTED}, found ${found} (a UTC offset, not a zone name)`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    if (/ (standard|daylight) time$/i.test(zone)) {
      return `${EXPECTED}, found ${found} (this looks like a Windows zone name)`;
    }
    return `${EXPECTED}, found ${found} (not a zone this runtime knows)`;
  }
  return null;
}

/**
 * Pinned node-cron 4.6.0 slots around DST transitions, worked out by hand from the rules
 * (America/Chicago: CST = UTC−6, CDT = UTC−5; 2026-03-08 and 2027-03-14 jump 02:00 CST → 03:00
 * CDT at 08:00Z; 2026-11-01 and 2027-11-07 fall back 02:00 CDT → 01:00 CST at 07:00Z;
 * America/Phoenix is UTC−7 all year). Shared by the pure-function and host-TZ tests.
 */
export interface SlotCase {
  name: string;
  expr: string;
  zone: string;
  from: string;
  to: string;
  slots: string[];
}

export const DST_CASES: SlotCase[] = [
  {
    name: '30 2 daily does not run on spring-forward day 2027-03-14',
    expr: '30 2 * * *', zone: 'America/Chicago', from: '2027-03-13T00:00:00Z', to: '2027-03-16T12:00:00Z',
    // 03-13 02:30 CST, (03-14 02:30 does not exist), 03-15 02:30 CDT, 03-16 02:30 CDT
    slots: ['2027-03-13T08:30:00.000Z', '2027-03-15T07:30:00.000Z', '2027-03-16T07:30:00.000Z'],
  },
  {
    name: '30 1 daily runs once on fall-back day 2027-11-07',
    expr: '30 1 * * *', zone: 'America/Chicago', from: '2027-11-06T00:00:00Z', to: '2027-11-09T00:00:00Z',
    // 11-06 01:30 CDT, 11-07 01:30 CDT only (not 07:30Z = 01:30 CST), 11-08 01:30 CST
    slots: ['2027-11-06T06:30:00.000Z', '2027-11-07T06:30:00.000Z', '2027-11-08T07:30:00.000Z'],
  },
  {
    name: '*/15 pauses through the repeated hour on 2027-11-07',
    expr: '*/15 * * * *', zone: 'America/Chicago', from: '2027-11-07T06:00:00Z', to: '2027-11-07T08:15:00Z',
    // 01:15 01:30 01:45 CDT, then 02:00 CST (75 minutes later), 02:15 CST
    slots: ['2027-11-07T06:15:00.000Z', '2027-11-07T06:30:00.000Z', '2027-11-07T06:45:00.000Z',
      '2027-11-07T08:00:00.000Z', '2027-11-07T08:15:00.000Z'],
  },
  {
    name: 'hourly skips 02:00 on 2027-03-14',
    expr: '0 * * * *', zone: 'America/Chicago', from: '2027-03-14T05:30:00Z', to: '2027-03-14T09:00:00Z',
    // 00:00 CST, 01:00 CST, 03:00 CDT, 04:00 CDT
    slots: ['2027-03-14T06:00:00.000Z', '2027-03-14T07:00:00.000Z', '2027-03-14T08:00:00.000Z', '2027-03-14T09:00:00.000Z'],
  },
  {
    name: '30 2 daily does not run on spring-forward day 2026-03-08',
    expr: '30 2 * * *', zone: 'America/Chicago', from: '2026-03-07T00:00:00Z', to: '2026-03-10T12:00:00Z',
    slots: ['2026-03-07T08:30:00.000Z', '2026-03-09T07:30:00.000Z', '2026-03-10T07:30:00.000Z'],
  },
  {
    name: '30 1 daily runs once on fall-back day 2026-11-01',
    expr: '30 1 * * *', zone: 'America/Chicago', from: '2026-10-31T00:00:00Z', to: '2026-11-03T00:00:00Z',
    slots: ['2026-10-31T06:30:00.000Z', '2026-11-01T06:30:00.000Z', '2026-11-02T07:30:00.000Z'],
  },
  {
    name: '*/15 pauses through the repeated hour on 2026-11-01',
    expr: '*/15 * * * *', zone: 'America/Chicago', from: '2026-11-01T06:30:00Z', to: '2026-11-01T08:15:00Z',
    slots: ['2026-11-01T06:45:00.000Z', '2026-11-01T08:00:00.000Z', '2026-11-01T08:15:00.000Z'],
  },
  {
    name: 'hourly skips 02:00 on 2026-03-08',
    expr: '0 * * * *', zone: 'America/Chicago', from: '2026-03-08T06:30:00Z', to: '2026-03-08T09:00:00Z',
    slots: ['2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z', '2026-03-08T09:00:00.000Z'],
  },
  {
    name: 'Phoenix 09:20 is 16:20Z across the Chicago spring change',
    expr: '20 9 * * *', zone: 'America/Phoenix', from: '2027-03-13T00:00:00Z', to: '2027-03-16T00:00:00Z',
    slots: ['2027-03-13T16:20:00.000Z', '2027-03-14T16:20:00.000Z', '2027-03-15T16:20:00.000Z'],
  },
  {
    name: 'Phoenix 09:20 is 16:20Z across the Chicago autumn change',
    expr: '20 9 * * *', zone: 'America/Phoenix', from: '2027-11-06T00:00:00Z', to: '2027-11-09T00:00:00Z',
    slots: ['2027-11-06T16:20:00.000Z', '2027-11-07T16:20:00.000Z', '2027-11-08T16:20:00.000Z'],
  },
];

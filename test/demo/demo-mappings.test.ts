import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoMappings } from './demo-mappings.js';

// The demo's mapping files must describe the same courses as the demo's generated PowerCampus
// data and sandbox Moodle; regenerate with `npx tsx scripts/make-demo-mappings.ts`.
describe('demo course mappings', () => {
  it('match the seeded PowerCampus data named in config/demo.json', () => {
    const { academic, hub } = demoMappings();
    const read = (name: string) => JSON.parse(readFileSync(new URL(`../../data/mappings/${name}`, import.meta.url), 'utf8')) as unknown;
    expect(read('example-academic.json')).toEqual(academic);
    expect(read('example-hub.json')).toEqual(hub);
    expect(Object.keys(academic as object).length).toBeGreaterThan(10);
  });
});

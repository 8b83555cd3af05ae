// Regenerates data/mappings/example-academic.json and example-hub.json: the course mappings the demo's
// moodle-enrollments job reads. They come from the same seeded PowerCampus data as the demo's
// embedded database and sandbox Moodle (connection "demo-powercampus" in config/demo.json), so the
// three always agree. test/demo/demo-mappings.test.ts fails when the committed files are stale.
// Run: npx tsx scripts/make-demo-mappings.ts
import { writeFileSync } from 'node:fs';
import { demoMappings } from '../test/demo/demo-mappings.js';

const { academic, hub } = demoMappings() as { academic: object; hub: object };
const dir = new URL('../data/mappings/', import.meta.url);
writeFileSync(new URL('example-academic.json', dir), `${JSON.stringify(academic, null, 2)}\n`);
writeFileSync(new URL('example-hub.json', dir), `${JSON.stringify(hub, null, 2)}\n`);
process.stdout.write(`wrote ${Object.keys(academic).length} academic and ${Object.keys(hub).length} hub mappings\n`);

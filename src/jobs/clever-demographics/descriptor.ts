import { siblingModule } from '../../util/module-url.js';
import { SQL_CONNECTION_TYPES, FILE_CONNECTION_TYPES } from '../../config/config-types.js';
import type { ConfigProblem } from '../../config/config-types.js';
import type { JobTypeDescriptor } from '../job-types.js';
import { isPlainFileName } from '../shared/local-output.js';

export const DEFAULT_TEST_NAMES = ['use', 'user', 'teststudent', 'test student', 'testtt', 'testtest', 'karentest', 'tester'];
export const DEFAULT_RACE_MAP: Record<string, string> = { '12': 'I', '13': 'A', '14': 'B', '15': 'P', '16': 'W', '17': 'M' };

export const cleverParamsSchema = {
  source: { doc: 'PowerSchool connection.', format: 'nonempty-string', default: 'powerschool' },
  destination: { doc: "The district's SFTP drop that PowerSchool AutoComm reads.", format: 'nonempty-string', default: 'd118-sftp' },
  remoteDir: { doc: 'Remote directory, relative to the login directory.', format: 'nonempty-string', default: 'sftp/clever' },
  fileName: { doc: 'File name AutoComm imports.', format: 'nonempty-string', default: 'raceethnicity.txt' },
  testNames: { doc: 'Students whose lower-cased first or last name is in this list are skipped.', format: 'string-list', default: DEFAULT_TEST_NAMES },
  raceMap: {
    doc: 'Illinois race code (fer) → Clever race letter; other codes (11 Hispanic, 0, unknown) give an empty field. The default maps 15 → P (Pacific Islander); the original script wrote I.',
    format: 'string-map',
    default: DEFAULT_RACE_MAP,
  },
  maxDropShare: { doc: 'Hold the delivery when the active students read fell by more than this share against the last successful run.', format: 'share', default: 0.5 },
};

export type CleverParams = {
  source: string; destination: string; remoteDir: string; fileName: string; testNames: string[];
  raceMap: Record<string, string>; maxDropShare: number;
};

/** Race map keys must be integer codes and values must fit an unquoted TSV field. */
export function validateCleverParams(p: CleverParams): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [code, letter] of Object.entries(p.raceMap)) {
    if (!/^\d+$/.test(code) || String(Number(code)) !== code) {
      problems.push({ path: `raceMap.${code}`, message: `expected an Illinois race code written as a plain integer such as "15", found ${JSON.stringify(code)}` });
    }
    if (/[\t\r\n]/.test(letter)) {
      problems.push({ path: `raceMap.${code}`, message: `expected a value without TAB or line breaks (the file is unquoted TSV), found ${JSON.stringify(letter)}` });
    }
  }
  if (!isPlainFileName(p.fileName)) {
    problems.push({ path: 'fileName', message: `expected a plain file name (put directories in remoteDir), found ${JSON.stringify(p.fileName)}` });
  }
  return problems;
}

export const cleverDemographics: JobTypeDescriptor<CleverParams> = {
  type: 'clever-demographics',
  summary: 'PowerSchool race/ethnicity/LEP changes → raceethnicity.txt → SFTP drop for AutoComm',
  params: cleverParamsSchema as never,
  connections: (p) => [
    { param: 'source', name: p.source, types: SQL_CONNECTION_TYPES },
    { param: 'destination', name: p.destination, types: FILE_CONNECTION_TYPES },
  ],
  validate: (p) => validateCleverParams(p),
  module: siblingModule(import.meta.url, './job'),
};

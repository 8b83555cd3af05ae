/**
 * Builds cem-golden.csv (ISO-8859-1, CRLF) and cem-golden-utf8-bom.csv (the same text in UTF-8
 * with a BOM) from the table below:  npx tsx test/jobs/leganto/golden/make-input.ts
 *
 * Input only. The expected output (expected-loader.pipes, `|` standing for TAB) is written by
 * hand from the rules and turned into expected-20260817092000.txt with
 *   sed -e 's/|/\t/g' -e 's/$/\r/' expected-loader.pipes > expected-20260817092000.txt
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';

const T = ' 00:00:00.000000000';
const D: Record<string, [string, string]> = {
  F: ['2026-08-20', '2026-12-05'],
  FA: ['2026-08-20', '2026-10-09'],
  FB: ['2026-10-14', '2026-12-05'],
  S: ['2026-01-08', '2026-05-02'],
  SA: ['2026-01-08', '2026-02-25'],
  SB: ['2026-03-15', '2026-05-02'],
  U: ['2026-05-18', '2026-08-07'],
  UA: ['2026-05-18', '2026-06-26'],
  UB: ['2026-06-29', '2026-08-07'],
};
const NOCOPY = ['-', '', '', ''];
type Row = [code: string, status: string, title: string, sln: string, asurite: string, college: string, campus: string, courseId: string, term: string, dates: string | [string, string], copy: string[]];

// line → row (null: the malformed line)
const rows: Array<[number, Row | null]> = [
  [2, ['2026Fall-X-ENG101-70001', 'APPROVED', 'First-Year Composition', '70001', 'jsmith1', 'AS', 'TEMPE', 'ENG 101', '7', 'F', ['12,345', '2025', 'ENG 101', '7']]],
  [3, ['2026FallA-X-ACC231-70002', 'APPROVED', 'Financial Accounting', '70002', 'mgarcia2', 'BA', 'TEMPE', 'ACC 231', '7', 'FA', NOCOPY]],
  [4, ['2026FallB-X-COM100-70003', 'APPROVED', 'Public Speaking', '70003', 'anguyen3', 'CS', 'TEMPE', 'COM 100', '7', 'FB', NOCOPY]],
  [5, ['2026FallC-X-FIN300-70004', 'APPROVED', 'Corporate Finance', '70004', 'klopez4', 'FI', 'TEMPE', 'FIN 300', '7', 'F', NOCOPY]],
  [6, ['2026FallDYN-X-GCU111-70005', 'APPROVED', 'Global Futures', '70005', 'schen5', 'GC', 'TEMPE', 'GCU 111', '7', 'F', NOCOPY]],
  [7, ['2026Spring-X-HON171-70006', 'APPROVED', 'The Human Event', '70006', 'rmuller6', 'HO', 'TEMPE', 'HON 171', '1', 'S', ['0', '', '', '']]],
  [8, ['2026SpringA-X-HST109-70007', 'APPROVED', 'Español para Historiadores', '70007', 'jsmith7', 'LA', 'TEMPE', 'HST 109', '1', 'SA', NOCOPY]],
  [9, ['2026SpringB-X-BIO181-70008', 'APPROVED', 'General Biology I', '70008', 'mgarcia8', 'LS', 'TEMPE', 'BIO 181', '1', 'SB', ['abc', '2025', 'BIO 181', '1']]],
  [10, ['2026SpringC-X-PAF300-70009', 'APPROVED', 'Policy Analysis', '70009', 'anguyen9', 'PP', 'TEMPE', 'PAF 300', '1', 'S', NOCOPY]],
  [11, ['2026SpringDYN-X-PRO100-70010', 'APPROVED', 'Project Management', '70010', 'klopez10', 'PR', 'TEMPE', 'PRO 100', '1', 'S', NOCOPY]],
  [12, ['2026Summer-X-SOS110-70011', 'APPROVED', 'Sustainable World', '70011', 'schen11', 'SU', 'TEMPE', 'SOS 110', '4', 'U', NOCOPY]],
  [13, ['2026SummerA-X-TGM501-70012', 'APPROVED', 'Global Management', '70012', 'rmuller12', 'TB', 'TEMPE', 'TGM 501', '4', 'UA', NOCOPY]],
  [14, ['2026SummerB-X-TEL100-70013', 'APPROVED', 'Teaching Diverse Learners', '70013', 'jsmith13', 'TE', 'TEMPE', 'TEL 100', '4', 'UB', NOCOPY]],
  [15, ['2026SummerC-X-UNI150-70014', 'APPROVED', 'University Success', '70014', 'mgarcia14', 'UC', 'TEMPE', 'UNI 150', '4', 'U', NOCOPY]],
  [16, ['2026SummerDYN-X-GRD591-70015', 'APPROVED', 'Graduate Seminar', '70015', 'anguyen15', 'GF', 'TEMPE', 'GRD 591', '4', 'U', NOCOPY]],
  [17, ['2026Fall-X-CSE110-70016', 'APPROVED', 'Principles of Programming', '70016', 'klopez16', 'ES', 'TEMPE', 'CSE 110', '7', 'F', NOCOPY]],
  [18, ['2026Fall-X-NTR241-70017', 'APPROVED', 'Nutrition', '70017', 'schen17', 'NH', 'TEMPE', 'NTR 241', '7', 'F', NOCOPY]],
  [19, ['2026Fall-X-NUR300-70018', 'APPROVED', 'Nursing Foundations', '70018', 'rmuller18', 'NU', 'TEMPE', 'NUR 300', '7', 'F', NOCOPY]],
  [20, ['2026Fall-X-ARS101-70019', 'APPROVED', 'Art History Survey', '70019', 'jsmith19', 'HI', 'TEMPE', 'ARS 101', '7', 'F', NOCOPY]],
  [21, ['2026Fall-X-LAW501-70020', 'APPROVED', 'Constitutional Law', '70020', 'mgarcia20', 'LW', 'TEMPE', 'LAW 501', '7', 'F', NOCOPY]],
  [22, ['2026Fall-X-XYZ100-70021', 'APPROVED', 'Mystery College Course', '70021', 'anguyen21', 'ZZ', 'TEMPE', 'XYZ 100', '7', 'F', NOCOPY]],
  [23, ['2026Fall-X-ABC100-70022', 'APPROVED', 'No College Given', '70022', 'klopez22', '', 'TEMPE', 'ABC 100', '7', 'F', NOCOPY]],
  [24, ['2026Fall-X-ENG102-70023', 'APPROVED', 'Writing for Careers', '70023', 'schen23', 'LA', 'CALHC', 'ENG 102', '7', 'F', NOCOPY]],
  [25, ['2026Spring-X-MAT117-70024', 'APPROVED', 'College Algebra', '70024', 'rmuller24', 'LS', 'CHANDGI', 'MAT 117', '1', 'S', NOCOPY]],
  [26, ['2026Summer-X-PSY101-70025', 'APPROVED', 'Introduction to Psychology', '70025', 'jsmith25', 'LS', 'EAC', 'PSY 101', '4', 'U', NOCOPY]],
  [27, ['2026Fall-X-ECN211-70026', 'APPROVED', 'Microeconomics', '70026', 'mgarcia26', 'BA', 'HAINAN', 'ECN 211', '7', 'F', NOCOPY]],
  [28, ['2026Fall-X-CHM113-70027', 'APPROVED', 'General Chemistry', '70027', 'anguyen27', 'LS', 'MESATEM', 'CHM 113', '7', 'F', NOCOPY]],
  [29, ['2026Fall-X-SPA101-70028', 'APPROVED', 'Español Elemental', '70028', 'klopez28', 'LA', 'OTHERAZ', 'SPA 101', '7', 'F', NOCOPY]],
  [30, ['2026Fall-X-FRE101-70029', 'APPROVED', 'Français pour débutants', '70029', 'schen29', 'LA', 'OTHERUS', 'FRE 101', '7', 'F', NOCOPY]],
  [31, ['2026Fall-X-PHI101-70030', 'APPROVED', 'Introduction to Philosophy', '70030', 'rmuller30', 'LA', 'OUTSIDE', 'PHI 101', '7', 'F', NOCOPY]],
  [32, ['2026Fall-X-ART100-70031', 'APPROVED', 'Café Society: Culture & Coffee', '70031', 'jsmith31', 'HI', 'SCOTTSD', 'ART 100', '7', 'F', NOCOPY]],
  [33, ['2026Fall-X-HST100-70032', 'APPROVED', 'Señoras y Señores: Drama', '70032', 'mgarcia32', 'LA', 'TUCSON', 'HST 100', '7', 'F', NOCOPY]],
  [34, ['2026Fall-X-ENG105-70033', 'APPROVED', 'Advanced Composition', '70033', 'anguyen33', 'AS', 'ASUONLI', 'ENG 105', '7', 'F', NOCOPY]],
  [35, ['2026Summer-X-MAT210-70034', 'APPROVED', 'Brief Calculus', '70034', 'klopez34', 'ES', 'ICOURSE', 'MAT 210', '4', 'U', NOCOPY]],
  [36, ['2026Fall-X-LAW520-70035', 'APPROVED', 'Criminal Law', '70035', 'schen35', 'LW', 'DTPHX', 'LAW 520', '7', 'F', NOCOPY]],
  [37, ['2026Fall-X-NUR310-70036', 'APPROVED', 'Community Health', '70036', 'rmuller36', 'NU', 'DTPHX', 'NUR 310', '7', 'F', NOCOPY]],
  [38, ['2026Spring-X-LAW530-70037', 'APPROVED', 'Torts', '70037', 'jsmith37', 'LW', 'PHOENIX', 'LAW 530', '1', 'S', NOCOPY]],
  [39, ['2026Spring-X-PAF310-70038', 'APPROVED', 'Urban Policy', '70038', 'mgarcia38', 'PP', 'PHOENIX', 'PAF 310', '1', 'S', NOCOPY]],
  [40, ['2026Fall-X-BIO100-70039', 'APPROVED', 'Living World', '70039', 'anguyen39', 'LS', 'GLENDALE', 'BIO 100', '7', 'F', NOCOPY]],
  [41, ['2026Fall-X-CRJ100-70040', 'APPROVED', 'Criminal Justice', '70040', 'klopez40', 'PP', 'WEST', 'CRJ 100', '7', 'F', NOCOPY]],
  [42, ['2026Fall-X-EGR101-70041', 'APPROVED', 'Engineering Design', '70041', 'schen41', 'ES', 'POLY', 'EGR 101', '7', 'F', NOCOPY]],
  [43, ['2026Fall-X-TGM520-70042', 'APPROVED', 'Cross-Cultural Leadership', '70042', 'rmuller42', 'TB', 'TBIRD', 'TGM 520', '7', 'F', NOCOPY]],
  [44, ['2026Fall-X-GEO101-70043', 'APPROVED', 'Regional Geography', '70043', 'jsmith43', 'LA', 'LAKEHAV', 'GEO 101', '7', 'F', NOCOPY]],
  [45, ['2026Fall-X-MUS354-70044', 'APPROVED', 'Music of the Ancien Régime', '70044', 'mgarcia44', 'HI', 'POLY', 'MUS 354', '7', 'F', NOCOPY]],
  [46, ['2026Fall-X-MUP101-70045', 'APPROVED', 'Piano Performance', '70045', 'anguyen45', 'HI', 'WEST', 'MUP 101', '7', 'F', NOCOPY]],
  [47, ['2026Fall-X-SDO598-92898', 'APPROVED', 'Legal Research', '92898', 'klopez47', 'LA', 'TEMPE', 'SDO 598', '7', 'F', NOCOPY]],
  [48, ['DEV2026Fall-X-ENG101-70001', 'APPROVED', 'First-Year Composition', '70001', 'jsmith1', 'AS', 'TEMPE', 'ENG 101', '7', 'F', NOCOPY]],
  [49, ['2026Fall-X-NOID000-70046', 'APPROVED', 'Independent Study', '70046', 'schen46', 'LA', 'TEMPE', '', '7', 'F', NOCOPY]],
  [50, ['2026Fall-X-ENG200-70047', 'APPROVED', "Müller's Theorem, Applied", '70-047', 'rmuller47', 'LA', 'TEMPE', 'ENG 200', '7', 'F', NOCOPY]],
  [51, ['2026Spring-X-HST300-70048', 'APPROVED', 'Medieval Europe', '70048', 'jsmith48', 'LA', 'TEMPE', 'HST 300', '7', 'F', NOCOPY]],
  [52, ['2026Fall-X-HST301-70049', 'APPROVED', 'Early Modern Europe', '70049', 'mgarcia49', 'LA', 'TEMPE', 'HST 301', '', 'F', NOCOPY]],
  [53, ['2026Fall-X-HST302-70050', 'REQUESTED', 'Modern Europe', '70050', 'anguyen50', 'LA', 'TEMPE', 'HST 302', '7', 'F', NOCOPY]],
  [54, ['2026Fall-X-HST303-70051', 'APPROVED', 'Europe since 1945', '', 'klopez51', 'LA', 'TEMPE', 'HST 303', '7', 'F', NOCOPY]],
  [55, null], // malformed: written below
  [56, ['2026Fall-X-HST305-70053', 'APPROVED', 'Tab\tTitle', '70053', 'rmuller53', 'LA', 'TEMPE', 'HST 305', '7', 'F', NOCOPY]],
  [57, ['2026Fall-X-HST306-70054', 'APPROVED', 'Leap Day History', '70054', 'jsmith54', 'LA', 'TEMPE', 'HST 306', '7', ['2026-02-30', '2026-12-05'], NOCOPY]],
  [58, ['2026Fall-X-CHM231-70060', 'APPROVED', 'Organic Chemistry I', '70060', 'achen60', 'LS', 'TEMPE', 'CHM 231', '7', 'F', NOCOPY]],
  [59, ['2026Fall-X-CHM231-70060', 'APPROVED', 'Organic Chemistry I', '70061', 'bsmith61', 'LS', 'TEMPE', 'CHM 233', '7', 'F', NOCOPY]],
  [60, ['2026Spring-X-BIO281-70072', 'APPROVED', 'Biology II', '70072', 'cgarcia72', 'LS', 'TEMPE', 'BIO 281', '1', 'S', NOCOPY]],
  [61, ['2026Spring-X-BIO281-70072', 'APPROVED', 'Biology II', '70071', 'dlopez71', 'LS', 'TEMPE', 'BIO 281', '1', 'S', NOCOPY]],
  [62, ['2026Spring-X-BIO281-70072', 'APPROVED', 'Biology II', '70073', 'cgarcia72', 'LS', 'TEMPE', 'BIO 282', '1', 'S', NOCOPY]],
  [63, ['2026Fall-X-PSY230-70080', 'APPROVED', 'Social Psychology', '70080', 'emuller80', 'LS', 'TEMPE', 'PSY 230', '7', 'F', NOCOPY]],
  [64, ['2026Fall-X-PSY230-70080', 'DENIED', 'Social Psychology', '70081', 'emuller80', 'LS', 'TEMPE', 'PSY 230', '7', 'F', NOCOPY]],
  [65, ['2026Fall-X-PSY240-70082', 'DENIED', 'Developmental Psychology', '70082', 'fchen82', 'LS', 'TEMPE', 'PSY 240', '7', 'F', NOCOPY]],
  [66, ['2026Fall-X-ECN212-70083', 'APPROVED', 'Macroeconomics', '70083', 'gnguyen83', 'BA', 'TEMPE', 'ECN 212', '7', 'F', NOCOPY]],
  [67, ['2026Fall-X-PSY240-70082', 'APPROVED', 'Developmental Psychology', '70084', 'hlopez84', 'LS', 'TEMPE', 'PSY 241', '7', 'F', NOCOPY]],
  [68, ['2026Fall-X-HST400-70090', 'SUSPENDED', 'Historiography', '70090', 'ismith90', 'LA', 'TEMPE', 'HST 400', '7', 'F', NOCOPY]],
  [69, ['2026Fall-X-HST400-70090', 'DENIED', 'Historiography', '70091', 'ismith90', 'LA', 'TEMPE', 'HST 400', '7', 'F', NOCOPY]],
  [70, ['2026Fall-X-HST410-70092', 'DENIED', 'Digital History', '70092', 'jgarcia92', 'LA', 'TEMPE', 'HST 410', '7', 'F', NOCOPY]],
  [71, ['2026Fall-X-SDO598-92899', 'DENIED', 'Legal Writing', '92899', 'klopez99', 'LW', 'TEMPE', 'SDO 598', '7', 'F', NOCOPY]],
  [72, ['2026Fall-X-HST420-70093', 'SUSPENDED', 'Oral History', '70093', 'lchen93', 'LA', 'TEMPE', 'HST 420', '7', 'F', NOCOPY]],
  [73, ['2026Fall-X-MAT265-70094', 'APPROVED', 'Calculus for Engineers', '70094', 'mnguyen94', 'ES', 'TEMPE', 'MAT 265', '7', 'F', NOCOPY]],
  [74, ['2026Fall-X-MAT265-70094', 'REQUESTED', 'Calculus for Engineers', '70095', 'mnguyen94', 'ES', 'TEMPE', 'MAT 265', '7', 'F', NOCOPY]],
  [75, ['2026Fall-X-MAT266-70096', 'REQUESTED', 'Calculus II', '70096', 'nmuller96', 'ES', 'TEMPE', 'MAT 266', '7', 'F', NOCOPY]],
  [76, ['2026Fall-X-MAT266-70096', 'APPROVED', 'Calculus II', '70097', 'nmuller97', 'ES', 'TEMPE', 'MAT 266', '7', 'F', NOCOPY]],
  [77, ['2026Summer-X-ART200-70100', 'APPROVED', 'Photography, Light & "Truth"', '70100', '', 'HI', 'TEMPE', 'ART 200', '4', 'U', NOCOPY]],
  [78, ['2026Summer-X-ART200-70100', 'APPROVED', 'Photography, Light & "Truth"', '70101', 'osmith101', 'HI', 'TEMPE', 'ART 201', '4', 'U', NOCOPY]],
  [79, ['2026Summer-X-ART200-70100', 'APPROVED', 'Photography, Light & "Truth"', 'X7010', 'psmith102', 'HI', 'TEMPE', 'ART 202', '4', 'U', NOCOPY]],
];

const HEADER = ['MYASU_COURSE_IDSTRING', 'COURSE_STATUS', 'COURSE_NAME', 'SLN', 'ASURITEID', 'COLLEGE_OR_DIVISION_CODE', 'CAMPUS', 'COURSE_ID', 'TERM', 'YEAR', 'START_SYNC_DATE', 'END_SYNC_DATE', 'COPY_COURSE_SLN', 'COPY_COURSE_SEMESTER_YEAR', 'COPY_COURSE_ID', 'COPY_COURSE_SEMESTER_TERM'];
const field = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

let text = HEADER.join(',') + '\r\n';
for (const [line, row] of rows) {
  if (text.split('\r\n').length !== line) throw new Error(`row for line ${line} is out of place`);
  if (row === null) {
    // An unquoted comma in the title: 17 fields.
    text += `2026Fall-X-HST304-70052,APPROVED,Broken, Unquoted Title,70052,smith52,LA,TEMPE,HST 304,7,2026,2026-08-20${T},2026-12-05${T},-,,,\r\n`;
    continue;
  }
  const [code, status, title, sln, asurite, college, campus, courseId, term, dates, copy] = row;
  const [start, end] = typeof dates === 'string' ? D[dates]! : dates;
  text += [code, status, title, sln, asurite, college, campus, courseId, term, '2026', start + T, end + T, ...copy].map(field).join(',') + '\r\n';
}
const dir = import.meta.dirname;
writeFileSync(join(dir, 'cem-golden.csv'), iconv.encode(text, 'latin1'));
writeFileSync(join(dir, 'cem-golden-utf8-bom.csv'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));

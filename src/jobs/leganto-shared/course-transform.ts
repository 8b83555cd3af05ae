import { interpretCemRecord, type CemRecord } from './cem-row.js';
import type { LegantoRules } from './leganto-rules.js';
import type { CourseRow } from './loader-row.js';
import { CourseRowSet } from './merge-duplicates.js';

/**
 * The CEM → loader transform both Leganto jobs run (rules 1–7 and 10 of the reference), fed one
 * record at a time in file order. Pure: no I/O, no clock; what happened to each record is
 * returned as an event for the job to log, and rejects are collected for the rejects report.
 *
 * DELETE rows are kept here; whether Alma should really receive them is decided afterwards
 * (delete-checks), which costs fewer calls than checking before de-duplication: a DELETE that a
 * later add/update row of the same code replaces never needs checking.
 */

export interface Reject {
  line: number;
  courseCode: string;
  reason: string;
}

export type TransformEvent =
  | { kind: 'added'; line: number; row: CourseRow; warnings: string[] }
  | { kind: 'merged'; line: number; into: CourseRow; warnings: string[] }
  | { kind: 'replaced'; line: number; row: CourseRow; replacedLine: number; warnings: string[] }
  | { kind: 'dropped'; line: number; courseCode: string; reason: string }
  | { kind: 'skipped'; line: number; courseCode: string; why: 'status' | 'code-prefix'; detail: string }
  | { kind: 'rejected'; line: number; courseCode: string; reason: string };

export interface TransformCounts {
  /** Records handed to the transform (malformed lines are counted by the caller). */
  records: number;
  rejected: number;
  skippedStatus: number;
  skippedPrefix: number;
  merged: number;
  replaced: number;
  droppedDuplicate: number;
  warnings: number;
}

export class CourseTransform {
  readonly rows = new CourseRowSet();
  readonly rejects: Reject[] = [];
  readonly counts: TransformCounts = { records: 0, rejected: 0, skippedStatus: 0, skippedPrefix: 0, merged: 0, replaced: 0, droppedDuplicate: 0, warnings: 0 };
  readonly #rules: LegantoRules;

  constructor(rules: LegantoRules) {
    this.#rules = rules;
  }

  add(record: CemRecord, line: number): TransformEvent {
    this.counts.records++;
    const outcome = interpretCemRecord(record, line, this.#rules);
    switch (outcome.kind) {
      case 'skip':
        if (outcome.why === 'status') this.counts.skippedStatus++;
        else this.counts.skippedPrefix++;
        return { kind: 'skipped', line, courseCode: outcome.courseCode, why: outcome.why, detail: outcome.detail };
      case 'reject':
        return this.reject(line, outcome.courseCode, outcome.reason);
      case 'row':
        break;
    }
    const { row, warnings } = outcome;
    const added = this.rows.add(row);
    if (added.kind !== 'rejected' && added.kind !== 'dropped') this.counts.warnings += warnings.length;
    switch (added.kind) {
      case 'added':
        return { kind: 'added', line, row, warnings };
      case 'merged':
        this.counts.merged++;
        return { kind: 'merged', line, into: added.into, warnings };
      case 'replaced':
        this.counts.replaced++;
        return { kind: 'replaced', line, row, replacedLine: added.replaced.line, warnings };
      case 'dropped':
        this.counts.droppedDuplicate++;
        return { kind: 'dropped', line, courseCode: row.courseCode, reason: added.reason };
      case 'rejected':
        return this.reject(line, row.courseCode, added.reason);
    }
  }

  /** Record a reject found outside the rules (a malformed CSV line, a failed DELETE check). */
  reject(line: number, courseCode: string, reason: string): TransformEvent & { kind: 'rejected' } {
    this.counts.rejected++;
    this.rejects.push({ line, courseCode, reason });
    return { kind: 'rejected', line, courseCode, reason };
  }
}

import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NAME_OPTIONS, drawName, isTestStudentName, isWin1252Encodable, type NameKind,
} from '../../src/datagen/name-pools.js';
import { Prng, hashParts } from '../../src/datagen/prng.js';

describe('Prng', () => {
  it('repeats the same sequence for the same key and differs for another key', () => {
    const a = Prng.for('seed', 'student', 7);
    const b = Prng.for('seed', 'student', 7);
    const c = Prng.for('seed', 'student', 8);
    const seqA = Array.from({ length: 20 }, () => a.nextUint32());
    const seqB = Array.from({ length: 20 }, () => b.nextUint32());
    const seqC = Array.from({ length: 20 }, () => c.nextUint32());
    expect(seqB).toEqual(seqA);
    expect(seqC).not.toEqual(seqA);
  });

  it('keeps parts apart: ("a1", 2) and ("a", 12) hash differently, numbers differ from their strings', () => {
    expect(hashParts('a1', 2)).not.toBe(hashParts('a', 12));
    expect(hashParts(5)).not.toBe(hashParts('5'));
  });

  it('stays inside the requested bounds and reaches both ends', () => {
    const rng = Prng.for(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(6, 9);
      expect(v).toBeGreaterThanOrEqual(6);
      expect(v).toBeLessThanOrEqual(9);
      seen.add(v);
      const f = rng.next();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect([...seen].sort()).toEqual([6, 7, 8, 9]);
  });

  it('weights picks roughly by weight and never picks a zero-weight entry', () => {
    const rng = Prng.for(2);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 10_000; i++) counts[rng.weighted<'a' | 'b' | 'never'>([['a', 0.8], ['b', 0.2], ['never', 0]])]++;
    expect(counts.never).toBe(0);
    expect(counts.a / 10_000).toBeGreaterThan(0.75);
    expect(counts.a / 10_000).toBeLessThan(0.85);
  });

  it('rejects impossible ranges and empty lists', () => {
    const rng = Prng.for(3);
    expect(() => rng.int(5, 4)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
    expect(() => rng.weighted([['x', 0]])).toThrow(RangeError);
  });
});

describe('name pools', () => {
  const kinds: NameKind[] = ['plain', 'comma', 'quote', 'apostrophe', 'accent', 'nonWin1252', 'test'];

  it('draws names of every kind with the promised characters', () => {
    const found = new Map<NameKind, { first: string; last: string }[]>();
    for (let i = 0; i < 200; i++) {
      for (const kind of kinds) {
        const n = drawName(Prng.for('names', i), kind, DEFAULT_NAME_OPTIONS);
        found.set(kind, [...(found.get(kind) ?? []), n]);
      }
    }
    const full = (k: NameKind) => found.get(k)!.map((n) => `${n.first} ${n.last}`);
    expect(full('comma').every((s) => s.includes(','))).toBe(true);
    expect(full('quote').every((s) => s.includes('"'))).toBe(true);
    expect(full('apostrophe').every((s) => s.includes("'"))).toBe(true);
    expect(full('accent').every((s) => /[^\x00-\x7f]/.test(s) && isWin1252Encodable(s))).toBe(true);
    expect(full('nonWin1252').every((s) => !isWin1252Encodable(s))).toBe(true);
    expect(found.get('test')!.every((n) => isTestStudentName(n.first, n.last))).toBe(true);
    expect(found.get('plain')!.some((n) => isTestStudentName(n.first, n.last))).toBe(false);
  });

  it('spells non-windows-1252 names in ASCII when they are switched off, drawing the same numbers', () => {
    for (let i = 0; i < 100; i++) {
      const on = drawName(Prng.for('nw', i), 'nonWin1252', DEFAULT_NAME_OPTIONS);
      const off = drawName(Prng.for('nw', i), 'nonWin1252', { ...DEFAULT_NAME_OPTIONS, nonWin1252: false });
      expect(`${off.first}${off.last}`).toMatch(/^[\x00-\x7f]*$/);
      // Only the spelling differs: the other half of the name is the same draw.
      expect(on.first === off.first || on.last === off.last).toBe(true);
    }
  });

  it('agrees with iconv-lite about windows-1252', () => {
    for (const s of ['José Nuñez', 'Zoë Müller', 'Œuvre €5 “quoted”', 'Nguyễn', 'Łukasz', 'Dvořák', 'plain']) {
      const roundTrip = iconv.decode(iconv.encode(s, 'win1252'), 'win1252') === s;
      expect(isWin1252Encodable(s)).toBe(roundTrip);
    }
  });

  it('finds test names only as whole lower-cased names, not near misses', () => {
    expect(isTestStudentName('Test Student', 'Smith')).toBe(true);
    expect(isTestStudentName('Ana', 'TESTER')).toBe(true);
    expect(isTestStudentName('Ana', 'Testa')).toBe(false);
    expect(isTestStudentName('Karen', 'Tester-Smith')).toBe(false);
    expect(isTestStudentName(null, 'Usher')).toBe(false);
  });
});

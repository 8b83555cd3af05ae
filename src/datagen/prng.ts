/**
 * A small seeded PRNG (sfc32 seeded through a string hash).
 *
 * Generated data must be identical across runs, machines and Node versions, so nothing here uses
 * Math.random or floating-point operations whose results could differ between platforms: every
 * step is 32-bit integer arithmetic (Math.imul, >>>), and the only float is the final division.
 *
 * Streams are derived by key (`Prng.for(seed, 'cc', studentIndex)`) instead of being drawn from one
 * shared sequence. A generator can then produce any table for any student without replaying every
 * earlier draw, and a change in one area (say, guardians) never shifts the values of another.
 */

export type SeedPart = string | number;

/**
 * 32-bit hash of the parts (cyrb-style mixing). Numbers are mixed as 32-bit words and strings by
 * character, with a per-part marker so ('a1', 2) and ('a', 12) differ.
 */
export function hashParts(...parts: readonly SeedPart[]): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const part of parts) {
    if (typeof part === 'number' && Number.isSafeInteger(part)) {
      const lo = part >>> 0;
      const hi = Math.floor(part / 4294967296) >>> 0;
      h1 = Math.imul(h1 ^ 0x9e37, 2654435761);
      h2 = Math.imul(h2 ^ lo, 1597334677);
      h1 = Math.imul(h1 ^ lo, 2246822519);
      h2 = Math.imul(h2 ^ hi, 3266489917);
    } else {
      const text = String(part);
      h1 = Math.imul(h1 ^ 0x7f4a, 2654435761);
      for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ ch, 2654435761);
        h2 = Math.imul(h2 ^ ch, 1597334677);
      }
      h2 = Math.imul(h2 ^ text.length, 3266489917);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    const init = splitmix32(seed);
    this.#a = init();
    this.#b = init();
    this.#c = init();
    this.#d = init();
    // Discard the first outputs: sfc32 needs a few rounds before nearby seeds diverge.
    for (let i = 0; i < 6; i++) this.nextUint32();
  }

  /** A stream keyed by the parts, e.g. `Prng.for(seed, 'student', 42)`. */
  static for(...parts: readonly SeedPart[]): Prng {
    return new Prng(hashParts(...parts));
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`Prng.int: max ${max} is below min ${min}`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick: empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Pick by weight; entries are [value, weight] with weight ≥ 0 and a positive total. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    // Index loops, not destructuring iterators: this runs millions of times per large dataset.
    let total = 0;
    for (let i = 0; i < entries.length; i++) total += (entries[i] as readonly [T, number])[1];
    if (!(total > 0)) throw new RangeError('Prng.weighted: weights must sum to a positive number');
    let r = this.next() * total;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as readonly [T, number];
      if (r < e[1]) return e[0];
      r -= e[1];
    }
    return (entries[entries.length - 1] as readonly [T, number])[0];
  }

  /** `count` distinct items in random order (Fisher–Yates on a copy). */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = items.slice();
    const n = Math.min(count, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      const tmp = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = tmp;
    }
    return copy.slice(0, n);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A string of `length` decimal digits (leading zeros allowed). */
  digits(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String(this.int(0, 9));
    return out;
  }
}

/**
 * A strict JSON (RFC 8259) parser that remembers where every value starts and keeps every object
 * key, duplicates included, in file order.
 *
 * Why not JSON.parse: mapping files are edited by hand every term, and JSON.parse silently keeps
 * the *last* of two identical keys — a shortname pasted twice would quietly lose one course's
 * mapping. It also reports syntax errors as a character offset (and only on some Node versions),
 * while an admin needs "line 42, column 7".
 */

export interface JsonPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
}

export interface JsonMember {
  key: string;
  /** Where the key's opening quote is. */
  at: JsonPosition;
  value: JsonNode;
}

export type JsonNode = JsonPosition &
  (
    | { kind: 'object'; members: JsonMember[] }
    | { kind: 'array'; items: JsonNode[] }
    | { kind: 'string'; value: string }
    | { kind: 'number'; value: number; raw: string }
    | { kind: 'boolean'; value: boolean }
    | { kind: 'null' }
  );

export class JsonSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, at: JsonPosition) {
    super(`line ${at.line}, column ${at.column}: ${message}`);
    this.name = 'JsonSyntaxError';
    this.line = at.line;
    this.column = at.column;
  }
}

/** Parse `text` (a leading UTF-8 byte-order mark is ignored); throws JsonSyntaxError. */
export function parseLocatedJson(text: string): JsonNode {
  return new Parser(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).document();
}

/** A short description of a node for "found ..." in messages. */
export function describeNode(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return `a list of ${node.items.length}`;
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      return node.raw;
    case 'boolean':
      return String(node.value);
    case 'null':
      return 'null';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  readonly #s: string;
  #i = 0;
  #line = 1;
  #lineStart = 0;

  constructor(s: string) {
    this.#s = s;
  }

  document(): JsonNode {
    this.#ws();
    const v = this.#value();
    this.#ws();
    if (this.#i < this.#s.length) this.#fail(`expected the end of the file after the top-level value, found ${this.#found()}`);
    return v;
  }

  #pos(): JsonPosition {
    return { line: this.#line, column: this.#i - this.#lineStart + 1 };
  }

  #fail(message: string): never {
    throw new JsonSyntaxError(message, this.#pos());
  }

  #found(): string {
    if (this.#i >= this.#s.length) return 'the end of the file';
    const c = this.#s[this.#i]!;
    return /[\x00-\x1f]/.test(c) ? `a control character (U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})` : JSON.stringify(c);
  }

  #ws(): void {
    for (;;) {
      const c = this.#s[this.#i];
      if (c === ' ' || c === '\t' || c === '\r') this.#i++;
      else if (c === '\n') {
        this.#i++;
        this.#line++;
        this.#lineStart = this.#i;
      } else return;
    }
  }

  #value(): JsonNode {
    const at = this.#pos();
    const c = this.#s[this.#i];
    switch (c) {
      case '{':
        return this.#object(at);
      case '[':
        return this.#array(at);
      case '"':
        return { ...at, kind: 'string', value: this.#string() };
      case 't':
      case 'f':
      case 'n':
        return this.#literal(at);
      default: {
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number(at);
        if (c === "'") this.#fail("expected a value, found a single quote (JSON strings use double quotes)");
        if (c === '}' || c === ']') this.#fail(`expected a value, found ${this.#found()} (a trailing comma before it is not allowed in JSON)`);
        return this.#fail(`expected a value, found ${this.#found()}`);
      }
    }
  }

  #object(at: JsonPosition): JsonNode {
    this.#i++; // {
    const members: JsonMember[] = [];
    this.#ws();
    if (this.#s[this.#i] === '}') {
      this.#i++;
      return { ...at, kind: 'object', members };
    }
    for (;;) {
      this.#ws();
      if (this.#s[this.#i] !== '"') {
        if (this.#s[this.#i] === '}') this.#fail('expected a key in double quotes, found "}" (a trailing comma before it is not allowed in JSON)');
        this.#fail(`expected a key in double quotes, found ${this.#found()}`);
      }
      const keyAt = this.#pos();
      const key = this.#string();
      this.#ws();
      if (this.#s[this.#i] !== ':') this.#fail(`expected ":" after the key ${JSON.stringify(key)}, found ${this.#found()}`);
      this.#i++;
      this.#ws();
      members.push({ key, at: keyAt, value: this.#value() });
      this.#ws();
      const c = this.#s[this.#i];
      if (c === ',') {
        this.#i++;
        continue;
      }
      if (c === '}') {
        this.#i++;
        return { ...at, kind: 'object', members };
      }
      this.#fail(`expected "," or "}" after the value of ${JSON.stringify(key)}, found ${this.#found()}`);
    }
  }

  #array(at: JsonPosition): JsonNode {
    this.#i++; // [
    const items: JsonNode[] = [];
    this.#ws();
    if (this.#s[this.#i] === ']') {
      this.#i++;
      return { ...at, kind: 'array', items };
    }
    for (;;) {
      this.#ws();
      items.push(this.#value());
      this.#ws();
      const c = this.#s[this.#i];
      if (c === ',') {
        this.#i++;
        continue;
      }
      if (c === ']') {
        this.#i++;
        return { ...at, kind: 'array', items };
      }
      this.#fail(`expected "," or "]" after a list item, found ${this.#found()}`);
    }
  }

  #string(): string {
    this.#i++; // opening quote
    let out = '';
    let from = this.#i;
    for (;;) {
      const c = this.#s[this.#i];
      if (c === undefined) this.#fail('expected a closing double quote, found the end of the file');
      if (c === '"') {
        out += this.#s.slice(from, this.#i);
        this.#i++;
        return out;
      }
      if (c === '\\') {
        out += this.#s.slice(from, this.#i);
        out += this.#escape();
        from = this.#i;
        continue;
      }
      if (c < ' ') {
        this.#fail(c === '\n' ? 'expected a closing double quote before the end of the line' : `expected a printable character in a string, found ${this.#found()}`);
      }
      this.#i++;
    }
  }

  #escape(): string {
    this.#i++; // backslash
    const c = this.#s[this.#i];
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (c !== undefined && Object.hasOwn(simple, c)) {
      this.#i++;
      return simple[c]!;
    }
    if (c === 'u') {
      const hex = this.#s.slice(this.#i + 1, this.#i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail('expected four hex digits after \\u');
      this.#i += 5;
      return String.fromCharCode(Number.parseInt(hex, 16));
    }
    return this.#fail(`expected an escape such as \\" or \\n after a backslash, found ${this.#found()}`);
  }

  #number(at: JsonPosition): JsonNode {
    NUMBER.lastIndex = this.#i;
    const m = NUMBER.exec(this.#s);
    if (m === null) this.#fail(`expected a number, found ${this.#found()}`);
    const raw = m[0];
    this.#i += raw.length;
    const next = this.#s[this.#i];
    if (next !== undefined && /[0-9A-Za-z_.]/.test(next)) this.#fail(`expected "," or a closing bracket after the number ${raw}, found ${this.#found()}`);
    return { ...at, kind: 'number', value: Number(raw), raw };
  }

  #literal(at: JsonPosition): JsonNode {
    for (const [word, node] of [
      ['true', { kind: 'boolean', value: true }],
      ['false', { kind: 'boolean', value: false }],
      ['null', { kind: 'null' }],
    ] as const) {
      if (this.#s.startsWith(word, this.#i) && !/[A-Za-z0-9_]/.test(this.#s[this.#i + word.length] ?? '')) {
        this.#i += word.length;
        return { ...at, ...node } as JsonNode;
      }
    }
    return this.#fail(`expected a value, found ${JSON.stringify(/^[A-Za-z_]\w*/.exec(this.#s.slice(this.#i))?.[0] ?? this.#s[this.#i])} (strings need double quotes)`);
  }
}

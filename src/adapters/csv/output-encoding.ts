import iconv from 'iconv-lite';
import { SisrelayError } from '../../errors/sisrelay-error.js';

/**
 * Text → bytes for the output encodings vendors accept, with a checker that finds characters the
 * encoding cannot carry *before* anything is written. iconv-lite (and Node for UTF-8) would
 * otherwise replace them silently (`?` or U+FFFD), and a name quietly becoming "Nguy?n" in a
 * roster is exactly the corruption the vendor files must never contain.
 */

export type OutputEncoding = 'utf-8' | 'windows-1252';

export interface TextEncoderFn {
  (text: string): Buffer;
  /** Index (UTF-16) of the first character that cannot be encoded, or -1. */
  firstUnencodable(text: string): number;
}

// Lone surrogates: the only UTF-16 content UTF-8 cannot represent.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

const utf8: TextEncoderFn = Object.assign((text: string) => Buffer.from(text, 'utf8'), {
  firstUnencodable(text: string): number {
    // Native check first (String#isWellFormed, Node 20); the regex only runs to locate the culprit.
    if (isWellFormed(text)) return -1;
    const m = LONE_SURROGATE.exec(text);
    return m ? m.index : -1;
  },
});

const ABOVE_LATIN1 = /[^\u0000-\u00FF]/;

let cp1252: TextEncoderFn | null = null;

/**
 * The windows-1252 table is taken from iconv-lite (decode each byte once) so the two can never
 * disagree; the five bytes the code page leaves undefined decode to U+FFFD and are not mapped.
 * Every mapped character is one UTF-16 unit and one byte, so encoding is a single table pass.
 */
function windows1252(): TextEncoderFn {
  if (cp1252) return cp1252;
  const table = new Int16Array(0x10000).fill(-1);
  for (let b = 0; b < 256; b++) {
    const ch = iconv.decode(Buffer.from([b]), 'windows-1252');
    if (ch.length === 1 && ch !== '\uFFFD') table[ch.charCodeAt(0)] = b;
  }
  const firstUnencodable = (text: string): number => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80 && table[c] === -1) return i;
    }
    return -1;
  };
  const encode = (text: string): Buffer => {
    // Text already checked holds no U+0080–U+009F (not in the table), so without characters above
    // U+00FF windows-1252 and Latin-1 bytes are identical and Node's native encoder can do it.
    if (!ABOVE_LATIN1.test(text)) return Buffer.from(text, 'latin1');
    const out = Buffer.allocUnsafe(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const b = c < 0x80 ? c : table[c]!;
      // Callers check first; reaching this means a bug, and a wrong byte must not be written.
      if (b === -1) throw new SisrelayError('INTERNAL_ERROR', `windows-1252 encoder reached an unencodable character U+${c.toString(16).toUpperCase()}`);
      out[i] = b;
    }
    return out;
  };
  cp1252 = Object.assign(encode, { firstUnencodable });
  return cp1252;
}

export function encoderFor(encoding: OutputEncoding): TextEncoderFn {
  if (encoding === 'utf-8') return utf8;
  if (encoding === 'windows-1252') return windows1252();
  throw new SisrelayError('INTERNAL_ERROR', `unsupported output encoding ${JSON.stringify(encoding)}; expected utf-8 or windows-1252`);
}

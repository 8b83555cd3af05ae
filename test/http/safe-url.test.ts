import { describe, expect, it } from 'vitest';
import { isCredentialParam, maskUrl } from '../../src/adapters/http/safe-url.js';

describe('maskUrl', () => {
  it.each([
    ['https://m.example/webservice/rest/server.php?wstoken=abc&wsfunction=f', 'https://m.example/webservice/rest/server.php?wstoken=***&wsfunction=f'],
    ['https://api.example/almaws/v1/courses?apikey=l7xx1&q=code~X&limit=10', 'https://api.example/almaws/v1/courses?apikey=***&q=code%7EX&limit=10'],
    ['https://x.example/a?Token=1&token=2&api_key=3&key=4&password=5&secret=6&sig=7', 'https://x.example/a?Token=***&token=***&api_key=***&key=***&password=***&secret=***&sig=***'],
    ['https://x.example/a?access_token=1&client_secret=2&keyword=ok', 'https://x.example/a?access_token=***&client_secret=***&keyword=ok'],
    ['https://user:pa55@x.example/a', 'https://user:***@x.example/a'],
    ['https://x.example/plain?id=5', 'https://x.example/plain?id=5'],
  ])('%s', (input, expected) => {
    expect(maskUrl(input)).toBe(expected);
  });

  it('masks name=value pairs in text that is not a URL', () => {
    expect(maskUrl('rest/server.php?wstoken=abc&x=1')).toBe('rest/server.php?wstoken=***&x=1');
  });

  it('recognises credential names only', () => {
    expect(isCredentialParam('WSTOKEN')).toBe(true);
    expect(isCredentialParam('monkey')).toBe(false);
    expect(isCredentialParam('q')).toBe(false);
  });
});

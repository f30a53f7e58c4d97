import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from '../../src/config/json-syntax.js';

describe('findJsonSyntaxError', () => {
  it.each(['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}\n', '"text"', '0'])(
    'accepts valid JSON %j',
    (text) => {
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      expect(findJsonSyntaxError(text)).toBeUndefined();
    },
  );

  it.each([
    ['{"a": 1,}', 1, 9, 'expected a key in double quotes, found "}"'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, 'expected "," or "}", found "\\""'],
    ['{\n  "a" 1\n}', 2, 7, 'expected ":" after the key, found "1"'],
    ['{"a": [1, 2}', 1, 12, 'expected "," or "]", found "}"'],
    ['{"a": tru}', 1, 7, 'expected a value, found "t"'],
    ["{'a': 1}", 1, 2, 'expected a key in double quotes, found "\'"'],
    ['{"a": "x', 1, 9, 'unterminated string'],
    ['{"a": "\\x"}', 1, 8, 'invalid escape sequence'],
    ['{"a": "line\nbreak"}', 1, 12, 'line break or control character inside a string'],
    ['{"a": 1} x', 1, 10, 'unexpected text after the end of the JSON value'],
    ['{"a": -}', 1, 7, 'expected a value, found "-"'],
    ['', 1, 1, 'expected a value, found end of file'],
    ['{\n  "a": {\n', 3, 1, 'expected a key in double quotes, found end of file'],
  ])('locates the mistake in %j', (text, line, column, reason) => {
    expect(() => JSON.parse(text) as unknown).toThrow();
    expect(findJsonSyntaxError(text)).toEqual({ line, column, reason });
  });
});

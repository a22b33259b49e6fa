import { describe, expect, it } from 'vitest';
import { formatCount } from './numbers.js';

describe('formatCount', () => {
  it('writes whole numbers as toLocaleString("en-US") does', () => {
    const values = [0, 1, 12, 123, 999, 1000, 1001, 12345, 123456, 1234567, 10000000, -1, -999, -1000, -1234567, Number.MAX_SAFE_INTEGER, 2.5, 1234.5];
    for (const v of values) expect(formatCount(v)).toBe(v.toLocaleString('en-US'));
    expect(formatCount(12345678901234567890n)).toBe('12,345,678,901,234,567,890');
  });
});

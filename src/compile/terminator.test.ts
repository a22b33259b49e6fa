import { describe, expect, it } from 'vitest';
import { withoutTerminator } from './terminator.js';

describe('withoutTerminator', () => {
  it("drops a final ';' and keeps what follows it (whitespace, comments)", () => {
    expect(withoutTerminator('select 1;')).toBe('select 1');
    expect(withoutTerminator('select 1 ;\n')).toBe('select 1 \n');
    expect(withoutTerminator('select 1; -- done\n/* end */\n')).toBe('select 1 -- done\n/* end */\n');
  });

  it("keeps a ';' inside strings, identifiers, dollar quotes and comments, and text that does not end in one", () => {
    for (const sql of ["select ';' as s", 'select 1 as ";"', 'select $$a;$$ as s', "select 'it''s;' as s", 'select 1 -- a;', 'select 1 /* ; */', 'select 1', 'select 1; select 2']) {
      expect(withoutTerminator(sql)).toBe(sql);
    }
    expect(withoutTerminator("select 'a;b';")).toBe("select 'a;b'");
    expect(withoutTerminator('select 1;;')).toBe('select 1');
    expect(withoutTerminator("select $q1$ it's; $q1$ as x;")).toBe("select $q1$ it's; $q1$ as x");
    expect(withoutTerminator('select $a1$ x; -- $a1$')).toBe('select $a1$ x; -- $a1$');
  });
});

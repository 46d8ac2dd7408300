import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const journal = JSON.parse(readFileSync('migrations/meta/_journal.json', 'utf8')) as { entries: { idx: number; when: number; tag: string }[] };

describe('migrations', () => {
  it('journal times only grow (drizzle silently skips a migration older than the newest applied)', () => {
    for (let i = 1; i < journal.entries.length; i++) expect(journal.entries[i]!.when).toBeGreaterThan(journal.entries[i - 1]!.when);
  });
  it('every journal entry has its SQL file and every SQL file is in the journal', () => {
    const files = readdirSync('migrations').filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, ''));
    expect(files.sort()).toEqual(journal.entries.map((e) => e.tag).sort());
  });
});

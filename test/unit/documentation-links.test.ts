import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT, repoFiles } from '../support/repo-files.js';

// Every link from one page of the documentation to another (or to a file of the repository)
// leads somewhere: the file exists, and so does the heading its #anchor names.

/** GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`. */
function toAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replaceAll(/[^\p{L}\p{N} _-]/gu, '')
    .replaceAll(' ', '-');
}

/** The Markdown of `text` outside fenced code blocks. */
function prose(text: string): string {
  return text.replaceAll(/^```[\s\S]*?^```/gm, '');
}

function anchorsOf(file: string): Set<string> {
  const headings = prose(readFileSync(file, 'utf8')).match(/^#{1,6} .*$/gm) ?? [];
  return new Set(headings.map((heading) => toAnchor(heading.replace(/^#+ /, ''))));
}

/** Every relative link of a Markdown file that does not lead anywhere. */
function brokenLinks(page: string): string[] {
  const absolute = join(REPO_ROOT, page);
  const links = [...prose(readFileSync(absolute, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)].map(
    (match) => match[1] ?? '',
  );
  return links
    .filter((link) => !/^[a-z]+:/.test(link))
    .flatMap((link) => {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? absolute : join(dirname(absolute), path);
      if (!existsSync(target)) return [`${link}: no file ${relative(REPO_ROOT, target)}`];
      if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(target).has(anchor))
        return [`${link}: no heading #${anchor} in ${relative(REPO_ROOT, target)}`];
      return [];
    });
}

describe('the documentation', () => {
  const pages = repoFiles(/^(README|BENCHMARKS)\.md$|^(docs|examples)\/.*\.md$/);

  it('has pages to check', () => {
    expect(pages).toContain('README.md');
    expect(pages).toContain('docs/development.md');
  });

  it.each(pages)('%s links only to files and headings that exist', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  // "See the top-level README, Development" named a section that did not exist: a section
  // of another page is named by a link, which the test above checks.
  it.each(pages)("%s names another page's section by a link, not in words", (page) => {
    const text = prose(readFileSync(join(REPO_ROOT, page), 'utf8'));
    expect(text.match(/\bREADME(?:'s)?,? "?[A-Z][\w ]*"?/g) ?? []).toEqual([]);
  });
});

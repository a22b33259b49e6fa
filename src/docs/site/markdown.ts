// Descriptions are Markdown, rendered safely: raw HTML in them shows as text, links and images keep only
// http(s), relative and #fragment addresses, and what comes out is sanitized against an allow-list before it
// reaches the page (defence in depth: it is parsed in an inert <template> first).
import { Marked } from 'marked';
import { escapeHtml } from './dom.js';

/** http(s), mailto, #fragments and relative paths; never javascript:, data:, vbscript: or protocol-relative `//host`. */
export function safeUrl(href: string): boolean {
  const url = href.trim();
  if (url.startsWith('//')) return false;
  if (/^(https?:|mailto:)/i.test(url)) return true;
  return !/^[^/?#]*:/.test(url);
}

const marked = new Marked({
  gfm: true,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    link({ href, title, tokens }) {
      const text = this.parser.parseInline(tokens);
      if (!safeUrl(href)) return text;
      return `<a href="${escapeHtml(href)}"${title ? ` title="${escapeHtml(title)}"` : ''}${/^https?:/i.test(href) ? ' rel="noopener noreferrer" target="_blank"' : ''}>${text}</a>`;
    },
    image({ href, title, text }) {
      // A remote image would be a network request: only images beside the site are shown.
      if (!safeUrl(href) || /^https?:/i.test(href)) return escapeHtml(text);
      return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}"${title ? ` title="${escapeHtml(title)}"` : ''}>`;
    },
  },
});

const TAGS = new Set(['p', 'br', 'hr', 'em', 'strong', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'img', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input', 'span']);
const ATTRS: Readonly<Record<string, ReadonlySet<string>>> = {
  a: new Set(['href', 'title', 'rel', 'target']),
  img: new Set(['src', 'alt', 'title']),
  th: new Set(['align']),
  td: new Set(['align']),
  ol: new Set(['start']),
  input: new Set(['type', 'checked', 'disabled']),
  code: new Set(['class']),
};

/** Markdown as a fragment of safe elements. */
export function markdown(text: string): DocumentFragment {
  const template = document.createElement('template');
  template.innerHTML = marked.parse(text, { async: false });
  sanitize(template.content);
  return template.content;
}

function sanitize(root: ParentNode): void {
  for (const el of Array.from(root.querySelectorAll('*'))) {
    const tag = el.tagName.toLowerCase();
    if (!TAGS.has(tag)) {
      el.replaceWith(document.createTextNode(el.textContent ?? ''));
      continue;
    }
    for (const a of Array.from(el.attributes)) {
      const ok = ATTRS[tag]?.has(a.name) && ((a.name !== 'href' && a.name !== 'src') || safeUrl(a.value));
      if (!ok) el.removeAttribute(a.name);
    }
  }
}

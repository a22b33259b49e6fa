/**
 * A strict reader of the XML subset eider writes (declaration, elements, attributes, text, entity and character
 * references; no DTD, comments, CDATA or processing instructions). It throws on anything that is not well-formed
 * XML 1.0 — an unescaped `<` or `&`, an unknown entity, a character XML cannot hold, unbalanced or duplicate
 * tags and attributes, a second root — so a test can check that a writer's output parses, then read it back.
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own text, references decoded. */
  readonly text: string;
}

const NAME = /[A-Za-z_:][\w.:-]*/y;
const ILLEGAL = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(xml: string): XmlElement {
  const bad = ILLEGAL.exec(xml);
  if (bad) throw new Error(`character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index} is not allowed in XML`);
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${pos}: ${JSON.stringify(xml.slice(pos, pos + 40))}`);
  };
  const space = () => {
    while (/\s/.test(xml[pos] ?? '')) pos++;
  };
  const name = () => {
    NAME.lastIndex = pos;
    const m = NAME.exec(xml) ?? fail('expected a name');
    pos += m[0].length;
    return m[0];
  };
  const decode = (raw: string, inAttr: boolean) => {
    if (inAttr && raw.includes('<')) fail('"<" in an attribute value');
    if (!inAttr && raw.includes(']]>')) fail('"]]>" in text');
    return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
      if (ref === undefined) return fail('a bare "&"');
      if (ref in ENTITIES) return ENTITIES[ref];
      const code = /^#x[0-9a-f]+$/i.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]+$/.test(ref) ? parseInt(ref.slice(1), 10) : fail(`unknown entity ${whole}`);
      const c = String.fromCodePoint(code);
      return ILLEGAL.test(c) || code > 0x10ffff ? fail(`character reference ${whole} to a character XML cannot hold`) : c;
    });
  };
  const element = (): XmlElement => {
    if (xml[pos] !== '<') fail('expected "<"');
    pos++;
    const tag = name();
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = pos;
      space();
      if (xml.startsWith('/>', pos)) {
        pos += 2;
        return { name: tag, attrs, children: [], text: '' };
      }
      if (xml[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('expected a space before an attribute');
      const key = name();
      if (key in attrs) fail(`attribute ${key} twice`);
      space();
      if (xml[pos] !== '=') fail('expected "="');
      pos++;
      space();
      const quote = xml[pos];
      if (quote !== '"' && quote !== "'") fail('expected a quoted value');
      const end = xml.indexOf(quote, pos + 1);
      if (end < 0) fail('unterminated attribute value');
      attrs[key] = decode(xml.slice(pos + 1, end), true);
      pos = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const lt = xml.indexOf('<', pos);
      if (lt < 0) fail(`<${tag}> is not closed`);
      text += decode(xml.slice(pos, lt), false);
      pos = lt;
      if (xml.startsWith('</', pos)) {
        pos += 2;
        if (name() !== tag) fail(`expected </${tag}>`);
        space();
        if (xml[pos] !== '>') fail('expected ">"');
        pos++;
        return { name: tag, attrs, children, text };
      }
      children.push(element());
    }
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    pos = end + 2;
  }
  space();
  const root = element();
  space();
  if (pos !== xml.length) fail('content after the root element');
  return root;
}

/**
 * The RFC 822 header format of `METADATA`, `PKG-INFO` and `WHEEL` files, read the way CPython's
 * `email.parser.Parser(policy=compat32).parsestr()` reads a `str` (what packaging's `parse_email`,
 * pip and pypa/installer use). Internal to src/wheel.
 *
 * Reproduced behaviours: lines end at `\r\n`, `\r` or `\n`; a header line is `From ` or a run of
 * printable ASCII other than `:` followed by `:`, or a continuation starting with space/tab; the
 * first line that is neither ends the headers (a blank line is consumed, anything else starts the
 * body); a unix-from `From ` line first is dropped, one last is pushed back into the body, others
 * are dropped; a leading continuation line and a header with an empty name are dropped; a value is
 * the rest of its first line with leading space/tab removed, followed by its continuation lines
 * verbatim, with trailing CR/LF removed. Not reproduced: MIME structure (a `Content-Type:
 * multipart/*` or `message/*` header changes how CPython splits the body) — core metadata has none.
 */

/** One header as it appears in the file: name spelled as written, value unfolded as above. */
export interface RawHeader {
  readonly name: string;
  readonly value: string;
}

/** The headers, in file order, and the body (everything after the header block). */
export interface ParsedEmail {
  readonly headers: readonly RawHeader[];
  readonly body: string;
}

/**
 * The headers by lower-cased name, each with its values in file order (`Message.get_all(name)`,
 * which matches names case-insensitively).
 */
export function headersByName(headers: readonly RawHeader[]): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const h of headers) {
    const key = h.name.toLowerCase();
    const list = fields.get(key);
    if (list) list.push(h.value);
    else fields.set(key, [h.value]);
  }
  return fields;
}

/** feedparser `headerRE`. */
const HEADER_LINE = /^(?:From |[\x21-\x39\x3b-\x7e]*:|[\t ])/;

/** Split into lines keeping their terminators, as `StringIO(newline='').readlines()` does. */
export function splitLinesKeepEnds(text: string): string[] {
  const lines: string[] = [];
  const re = /\r\n|\r|\n/g;
  let start = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    lines.push(text.slice(start, m.index + m[0].length));
    start = m.index + m[0].length;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** Parse header block and body like `email.parser.Parser(policy=compat32).parsestr(text)`. */
export function parseEmail(text: string): ParsedEmail {
  const input = splitLinesKeepEnds(text);
  let pos = 0;
  const headerLines: string[] = [];
  while (pos < input.length) {
    const line = input[pos]!;
    if (!HEADER_LINE.test(line)) {
      // The blank separator line is consumed; any other line is the first line of the body.
      if (/^(?:\r\n|\r|\n)/.test(line)) pos++;
      break;
    }
    headerLines.push(line);
    pos++;
  }
  const pushBack: string[] = [];
  const headers: RawHeader[] = [];
  let lastValue: string[] = [];
  const flush = (): void => {
    if (lastValue.length === 0) return;
    const first = lastValue[0]!;
    const colon = first.indexOf(':');
    const rest = first.slice(colon + 1).replace(/^[ \t]+/, '') + lastValue.slice(1).join('');
    headers.push({ name: first.slice(0, colon), value: rest.replace(/[\r\n]+$/, '') });
    lastValue = [];
  };
  for (let i = 0; i < headerLines.length; i++) {
    const line = headerLines[i]!;
    if (line[0] === ' ' || line[0] === '\t') {
      if (lastValue.length > 0) lastValue.push(line);
      continue; // FirstHeaderLineIsContinuationDefect: dropped
    }
    flush();
    if (line.startsWith('From ')) {
      if (i === 0) continue; // unix-from envelope line
      if (i === headerLines.length - 1) {
        pushBack.push(line); // probably the first body line
        break;
      }
      continue; // MisplacedEnvelopeHeaderDefect: dropped
    }
    if (line.indexOf(':') === 0) continue; // missing header name: dropped
    lastValue = [line];
  }
  flush();
  const body = pushBack.join('') + input.slice(pos).join('');
  return { headers, body };
}

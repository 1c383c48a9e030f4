/**
 * Header values Envoy accepts in `request_headers_to_add` / `response_headers_to_add`: no control
 * characters but tab, and `%` only as `%%` (a literal percent) or around a substitution, `%NAME%` or
 * `%NAME(args)%`. A value Envoy refuses makes it reject the whole route configuration, so Istio's
 * webhook runs Envoy's own parser (`header_parser.cc`, ported as Istio's `validateHeaderValue`); this is
 * the same state machine. It does not check that NAME is a variable Envoy knows, as neither does Istio.
 */

type State =
  | 'literal' // plain text
  | 'name' // inside %NAME
  | 'array' // after `(`: a `[` array of strings, or one bare argument
  | 'string' // inside an argument string
  | 'stringStart' // expecting the `"` of the next array element
  | 'delimiter' // after an array element: `,` or `]`
  | 'argsEnd' // expecting `)`
  | 'end'; // expecting the closing `%`

const space = (ch: string) => ch === ' ';

export function checkHeaderValueSyntax(value: string): string | undefined {
  let state: State = 'literal';
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value.charAt(pos);
    const hasNext = pos + 1 < value.length;
    switch (state) {
      case 'literal':
        if (ch !== '%') break;
        if (!hasNext) return 'un-escaped %';
        if (value[pos + 1] === '%') pos++;
        else state = 'name';
        break;
      case 'name':
        if (ch === '%') state = 'literal';
        else if (ch === '(') state = 'array';
        break;
      case 'array':
        if (ch === '[') state = 'stringStart';
        else if (!space(ch)) state = 'string';
        break;
      case 'delimiter':
        if (ch === ',') state = 'stringStart';
        else if (ch === ']') state = 'argsEnd';
        else if (!space(ch)) return "expecting ',', ']', or whitespace";
        break;
      case 'stringStart':
        if (ch === '"') state = 'string';
        else if (!space(ch)) return `expecting '"'`;
        break;
      case 'string':
        if (ch === '\\') {
          if (!hasNext) return 'un-terminated backslash in JSON string';
          pos++;
        } else if (ch === ')') state = 'end';
        else if (ch === '"') state = 'delimiter';
        break;
      case 'argsEnd':
        if (ch === ')') state = 'end';
        else if (!space(ch)) return "expecting ')' or whitespace";
        break;
      case 'end':
        if (ch === '%') state = 'literal';
        else if (!space(ch)) return "expecting '%' or whitespace";
        break;
    }
  }
  return state === 'literal' ? undefined : 'un-terminated variable expression';
}

/** One document of a YAML stream (with any comments and directives before it), and where it starts. */
export interface DocumentText {
  text: string;
  /** 1-based line of the file on which `text` starts. */
  firstLine: number;
}

/** `---` or `...` alone or followed by a space, tab or line end: YAML's document markers. */
function isMarker(text: string, start: number, marker: '---' | '...'): boolean {
  if (!text.startsWith(marker, start)) return false;
  const next = text[start + 3];
  return next === undefined || next === ' ' || next === '\t' || next === '\r' || next === '\n';
}

/**
 * Splits a YAML stream at its `---` lines, in one pass over the text, so that each document can be
 * measured before it is parsed and parsed on its own (an oversized one is refused unread; memory
 * holds one document's syntax tree at a time). YAML forbids a document marker at the start of a line
 * inside content, so the split is where a YAML parser would split. A `---` that follows nothing but
 * comments, directives and blank lines stays with them (a `%YAML` directive belongs to the document
 * it precedes).
 */
export function splitYamlDocuments(text: string): DocumentText[] {
  const documents: DocumentText[] = [];
  let start = 0;
  let firstLine = 1;
  let hasContent = false;
  let line = 1;
  for (let at = 0; at < text.length; line++) {
    const newline = text.indexOf('\n', at);
    const end = newline === -1 ? text.length : newline;
    if (isMarker(text, at, '---')) {
      if (hasContent) {
        documents.push({ text: text.slice(start, at), firstLine });
        start = at;
        firstLine = line;
      }
      hasContent = true;
    } else if (isMarker(text, at, '...')) {
      hasContent = false;
    } else if (!hasContent && text[at] !== '#' && text[at] !== '%' && text.slice(at, end).trim() !== '') {
      hasContent = true;
    }
    at = end + 1;
  }
  if (start < text.length) documents.push({ text: text.slice(start), firstLine });
  return documents;
}

/**
 * The first keyword of every statement in a `;`-separated SQL script, found without running it:
 * string literals, quoted identifiers and comments are skipped, and a `CREATE TRIGGER` body
 * (`BEGIN … END`, with `CASE … END` inside it) is one statement.
 */
export function statementKeywords(script: string): string[] {
  const keywords: string[] = [];
  let first: string | undefined;
  let isTrigger = false;
  let words = 0;
  let depth = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i]!;
    if (c === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (;;) {
        const k = script.indexOf(close, j);
        if (k < 0) {
          j = n;
          break;
        }
        // A doubled quote is an escaped quote inside the literal.
        if (close !== ']' && script[k + 1] === close) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      i = j;
      words++;
      continue;
    }
    if (c === ';') {
      if (depth === 0) {
        if (first !== undefined) keywords.push(first);
        first = undefined;
        isTrigger = false;
        words = 0;
      }
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(script[j]!)) j++;
      const word = script.slice(i, j).toUpperCase();
      if (first === undefined) first = word;
      else if (words <= 3 && first === 'CREATE' && word === 'TRIGGER') isTrigger = true;
      if (isTrigger) {
        if (word === 'BEGIN' || word === 'CASE') depth++;
        else if (word === 'END' && depth > 0) depth--;
      }
      words++;
      i = j;
      continue;
    }
    i++;
  }
  if (first !== undefined) keywords.push(first);
  return keywords;
}

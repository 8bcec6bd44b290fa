/**
 * Java .properties parsing, as RocketMQ's broker.conf uses it: `key=value` or `key: value` or `key value`,
 * `#` and `!` comments, backslash line continuations and escapes. Pure.
 */
export interface PropertyLine {
  key: string;
  value: string;
  line: number;
}

export function parseProperties(text: string): PropertyLine[] {
  const out: PropertyLine[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i].replace(/^\s+/, "");
    if (logical === "" || logical.startsWith("#") || logical.startsWith("!")) continue;
    // An odd number of trailing backslashes continues the logical line.
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i].replace(/^\s+/, "");
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    const { key, value } = splitKeyValue(logical);
    out.push({ key: unescapeJava(key), value: unescapeJava(value), line: startLine });
  }
  return out;
}

function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

function splitKeyValue(s: string): { key: string; value: string } {
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "=" || c === ":" || c === " " || c === "\t" || c === "\f") break;
    i++;
  }
  const key = s.slice(0, i);
  let rest = s.slice(i).replace(/^[ \t\f]+/, "");
  if (rest.startsWith("=") || rest.startsWith(":")) rest = rest.slice(1).replace(/^[ \t\f]+/, "");
  return { key, value: rest.replace(/[ \t\f]+$/, "") };
}

function unescapeJava(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    switch (e) {
      case "t":
        return "\t";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "f":
        return "\f";
      default:
        return e;
    }
  });
}

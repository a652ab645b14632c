/** Java `.properties` rendering for worker configs. Pure. */

function escape(text: string, isKey: boolean): string {
  let out = "";
  for (const ch of text) {
    if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (isKey && (ch === " " || ch === "=" || ch === ":")) out += `\\${ch}`;
    else if (ch === "#" || ch === "!") out += out === "" ? `\\${ch}` : ch;
    else out += ch;
  }
  return out;
}

/** Renders properties, one `key=value` per line, keys sorted so diffs stay small. */
export function renderProperties(props: Record<string, string>, header?: string): string {
  const lines = header ? header.split("\n").map((l) => `# ${l}`) : [];
  for (const key of Object.keys(props).sort())
    lines.push(`${escape(key, true)}=${escape(props[key], false)}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Parses `.properties` text as Java does for single-line entries: `#`/`!` comments, a key ending at
 * the first unescaped `=`, `:` or whitespace, whitespace around the separator ignored, backslash
 * escapes undone. Used by tests, the kit check and the policy pack (MSK `server.properties`).
 */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    let key = "";
    let i = 0;
    for (; i < line.length; i++) {
      const ch = line[i];
      if (ch === "\\" && i + 1 < line.length) {
        key += line[++i];
        continue;
      }
      if (ch === "=" || ch === ":" || ch === " " || ch === "\t") break;
      key += ch;
    }
    while (line[i] === " " || line[i] === "\t") i++;
    if (line[i] === "=" || line[i] === ":") i++;
    while (line[i] === " " || line[i] === "\t") i++;
    const value = line
      .slice(i)
      .replace(/\\(.)/g, (_m, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c as "n" | "r" | "t"] ?? c);
    out[key] = value;
  }
  return out;
}

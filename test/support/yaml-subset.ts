export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  number: number;
  text: string;
}

const KEY = /^([A-Za-z_][\w.-]*):(?: +(.*))?$/;

/**
 * Parses the block-style YAML of small configuration files (Grafana's provisioning files):
 * mappings, sequences, and plain, quoted, boolean, null and numeric scalars. Anything else (tabs,
 * flow collections, block scalars, anchors, bad indentation, duplicate keys) throws, naming the
 * line, so a file that parses here is one a YAML parser reads the same way. The project has no
 * YAML library among its dependencies; this is enough for files we write ourselves.
 */
export function parseYamlSubset(source: string): Yaml {
  const lines: Line[] = source
    .split('\n')
    .map((text, index) => ({ number: index + 1, text: text.replace(/\r$/, '') }))
    .filter((line) => !/^\s*(#.*)?$/.test(line.text));
  let pos = 0;

  const fail = (line: Line, why: string): never => {
    throw new Error(`line ${line.number}: ${why}: ${line.text.trim()}`);
  };
  const indentOf = (line: Line): number => {
    const indent = /^ */.exec(line.text)![0].length;
    if (line.text[indent] === '\t') fail(line, 'tab in indentation');
    return indent;
  };
  const isItem = (line: Line, indent: number) => line.text.slice(indent).match(/^-( |$)/) !== null;

  function scalar(line: Line, raw: string): Yaml {
    const value = raw.trim();
    if (value.startsWith('"')) {
      try {
        return JSON.parse(value) as string;
      } catch {
        return fail(line, 'unsupported double-quoted string');
      }
    }
    if (value.startsWith("'")) {
      const match = /^'((?:[^']|'')*)'$/.exec(value);
      return match ? match[1].replace(/''/g, "'") : fail(line, 'bad single-quoted string');
    }
    const plain = value.replace(/\s+#.*$/, '');
    if (/^[[{|>&*!%@`]/.test(plain)) return fail(line, 'unsupported YAML syntax');
    if (/^(true|false)$/.test(plain)) return plain === 'true';
    if (/^(null|~)?$/.test(plain)) return null;
    if (/^-?\d+(\.\d+)?$/.test(plain)) return Number(plain);
    if (/: |\s#/.test(plain)) return fail(line, 'ambiguous plain scalar');
    return plain;
  }

  function block(indent: number): Yaml {
    return isItem(lines[pos], indent) ? sequence(indent) : mapping(indent);
  }

  function mapping(indent: number): Yaml {
    const out: { [key: string]: Yaml } = {};
    while (pos < lines.length) {
      const line = lines[pos];
      const at = indentOf(line);
      if (at < indent) break;
      if (at > indent) fail(line, 'unexpected indentation');
      if (isItem(line, at)) break;
      const match = KEY.exec(line.text.slice(at)) ?? fail(line, 'expected "key: value"');
      const [, key, value] = match;
      if (key in out) fail(line, `duplicate key ${key}`);
      pos += 1;
      if (value !== undefined && value.trim() !== '' && !value.trim().startsWith('#')) {
        out[key] = scalar(line, value);
      } else if (pos < lines.length && indentOf(lines[pos]) > indent) {
        out[key] = block(indentOf(lines[pos]));
      } else if (
        pos < lines.length &&
        indentOf(lines[pos]) === indent &&
        isItem(lines[pos], indent)
      ) {
        out[key] = sequence(indent);
      } else {
        out[key] = null;
      }
    }
    return out;
  }

  function sequence(indent: number): Yaml {
    const out: Yaml[] = [];
    while (pos < lines.length) {
      const line = lines[pos];
      const at = indentOf(line);
      if (at < indent) break;
      if (at > indent) fail(line, 'unexpected indentation');
      if (!isItem(line, at)) break;
      const rest = line.text.slice(at + 1).replace(/^ /, '');
      if (KEY.test(rest.trimEnd()) || /^[A-Za-z_][\w.-]*:$/.test(rest.trimEnd())) {
        // "- key: value" opens a mapping whose keys sit two columns in.
        lines[pos] = { number: line.number, text: `${' '.repeat(at + 2)}${rest}` };
        out.push(mapping(at + 2));
      } else {
        pos += 1;
        out.push(scalar(line, rest));
      }
    }
    return out;
  }

  if (lines.length === 0) return null;
  const document = block(indentOf(lines[0]));
  if (pos < lines.length) fail(lines[pos], 'unexpected indentation');
  return document;
}

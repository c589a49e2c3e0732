/** One challenge from a `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** Lower-cased scheme: `bearer`, `basic`, … */
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header into challenges. Parameter values may be quoted strings
 * containing commas and escaped quotes (`scope="repository:a/b:pull,push"`).
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = (): void => {
    while (i < n && /[\s,]/.test(header[i] ?? '')) i++;
  };
  while (i < n) {
    skipWs();
    const schemeStart = i;
    while (i < n && /[^\s,=]/.test(header[i] ?? '')) i++;
    const scheme = header.slice(schemeStart, i).toLowerCase();
    if (scheme === '') break;
    const challenge: AuthChallenge = { scheme, params: {} };
    out.push(challenge);
    for (;;) {
      skipWs();
      const keyStart = i;
      while (i < n && /[^\s,=]/.test(header[i] ?? '')) i++;
      const key = header.slice(keyStart, i);
      let j = i;
      while (j < n && header[j] === ' ') j++;
      if (key === '' || header[j] !== '=') {
        i = keyStart;
        break;
      }
      i = j + 1;
      while (i < n && header[i] === ' ') i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i] ?? '';
          i++;
        }
        i++;
      } else {
        const vStart = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(vStart, i).trim();
      }
      challenge.params[key.toLowerCase()] = value;
    }
  }
  return out;
}

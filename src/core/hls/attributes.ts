/**
 * Parses an HLS attribute list (`BANDWIDTH=1280000,RESOLUTION=1280x720,CODECS="a,b"`) into a map.
 * Quoted values keep their commas; quotes are removed. Keys are kept as written.
 */
export function parseAttributes(list: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let i = 0;
  while (i < list.length) {
    const eq = list.indexOf('=', i);
    if (eq < 0) break;
    const key = list.slice(i, eq).trim();
    let value: string;
    if (list[eq + 1] === '"') {
      const close = list.indexOf('"', eq + 2);
      const end = close < 0 ? list.length : close;
      value = list.slice(eq + 2, end);
      const comma = list.indexOf(',', end);
      i = comma < 0 ? list.length : comma + 1;
    } else {
      const comma = list.indexOf(',', eq + 1);
      const end = comma < 0 ? list.length : comma;
      value = list.slice(eq + 1, end).trim();
      i = end + 1;
    }
    if (key !== '') attributes.set(key, value);
  }
  return attributes;
}

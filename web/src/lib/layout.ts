/** Multi-view layouts as they appear in the URL: `/watch?channels=a,b,c,d&layout=2x2&audio=0`. */
export type Layout = '1' | '2' | '2x2' | '1+3';
export const LAYOUTS: readonly { id: Layout; label: string; tiles: number }[] = [
  { id: '1', label: 'Single', tiles: 1 },
  { id: '2', label: 'Side by side', tiles: 2 },
  { id: '2x2', label: '2 × 2', tiles: 4 },
  { id: '1+3', label: 'One large, three small', tiles: 4 },
];

export interface WatchState {
  layout: Layout;
  /** One entry per tile; '' is an empty tile. */
  channels: string[];
  /** Tile that has the sound. */
  audio: number;
}

export function tileCount(layout: Layout): number {
  return LAYOUTS.find((l) => l.id === layout)?.tiles ?? 1;
}

export function parseWatch(search: string): WatchState {
  const q = new URLSearchParams(search);
  const listed = (q.get('channels') ?? '')
    .split(',')
    .map((s) => s.trim())
    .slice(0, 4);
  const asked = q.get('layout');
  const layout: Layout = LAYOUTS.some((l) => l.id === asked)
    ? (asked as Layout)
    : listed.length >= 3
      ? '2x2'
      : listed.length === 2
        ? '2'
        : '1';
  const n = tileCount(layout);
  const channels = Array.from({ length: n }, (_, i) => listed[i] ?? '');
  const audio = Number(q.get('audio') ?? 0);
  return {
    layout,
    channels,
    audio: Number.isInteger(audio) && audio >= 0 && audio < n ? audio : 0,
  };
}

export function watchSearch(state: WatchState): string {
  const q = new URLSearchParams();
  q.set('channels', state.channels.join(','));
  q.set('layout', state.layout);
  if (state.audio !== 0) q.set('audio', String(state.audio));
  // Commas stay readable in a shared link.
  return `?${q.toString().replace(/%2C/g, ',')}`;
}

import { describe, expect, it } from 'vitest';
import { channelIdFor, parsePrefixedCommand, parseSlashCommand } from './commands.js';

describe('chat command parsing', () => {
  it.each([
    ['!onair subscribe alice live,offline', { name: 'subscribe', args: ['alice', 'live,offline'] }],
    ['  !ONAIR   list  ', { name: 'list', args: [] }],
    ['!onair', { name: 'help', args: [] }],
    ['!onair dance', { name: 'unknown', word: 'dance' }],
    ['hello !onair list', null],
    ['!onairs list', null],
  ])('prefixed %j', (text, expected) => {
    expect(parsePrefixedCommand(text, '!onair')).toEqual(expected);
  });

  it.each([
    [
      '/subscribe https://x.example/ live',
      'onair_bot',
      { name: 'subscribe', args: ['https://x.example/', 'live'] },
    ],
    ['/live@onair_bot', 'onair_bot', { name: 'live', args: [] }],
    ['/live@Onair_Bot', 'onair_bot', { name: 'live', args: [] }],
    ['/live@other_bot', 'onair_bot', null],
    ['/start', 'onair_bot', { name: 'help', args: [] }],
    ['/frob', 'onair_bot', { name: 'unknown', word: 'frob' }],
    ['live', 'onair_bot', null],
  ])('slash %j', (text, bot, expected) => {
    expect(parseSlashCommand(text, bot)).toEqual(expected);
  });

  it.each([
    ['https://watch.example.org/live/', 'watch.example.org-live'],
    ['https://www.twitch.tv/Some_One', 'www.twitch.tv-Some_One'],
    ['http://127.0.0.1:8080/', '127.0.0.1'],
  ])('derives a valid channel id from %s', (url, id) => {
    expect(channelIdFor(new URL(url))).toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
  });
});

/** Structured JSON-lines logger (Kluctl's controller log shape: `ts`, `level`, `msg`, fields). */
import type { Logger } from '../ports.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger writing one JSON object per line through `write`. */
export function jsonLogger(
  write: (line: string) => void,
  minLevel: Level = 'info',
  fields: Record<string, unknown> = {},
): Logger {
  const emit = (level: Level, msg: string, extra?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[minLevel]) return;
    write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields, ...(extra ?? {}) }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => jsonLogger(write, minLevel, { ...fields, ...f }),
  };
}

/**
 * Kluctl's `time` extension (§3.5): `time.now()`, `time.utcnow()`, `time.parse_iso(s)`, time
 * objects with `as_timezone`, `weekday`, `hour`, ... and deltas (`time.second`, `time.minute`,
 * `time.hour`, in microseconds) that can be added to or subtracted from them. Printing gives Python's
 * `datetime.isoformat()`.
 */
import { JinjaError } from './jinja-error.js';
import { nativeFunction, numValue } from './py-values.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A point in time with a fixed UTC offset (minutes), or naive (local) when offset is null. */
class PyTime {
  constructor(
    readonly micros: number,
    readonly offsetMin: number | null,
  ) {}

  private parts(): Date {
    return new Date(this.micros / 1000 + (this.offsetMin ?? 0) * 60000);
  }

  /** Python's isoformat(). */
  toString(): string {
    const d = this.parts();
    let s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const us = ((this.micros % 1e6) + 1e6) % 1e6;
    if (us !== 0) s += `.${pad(us, 6)}`;
    if (this.offsetMin !== null) {
      const o = Math.abs(this.offsetMin);
      s += `${this.offsetMin < 0 ? '-' : '+'}${pad(Math.floor(o / 60))}:${pad(o % 60)}`;
    }
    return s;
  }

  /** `t + delta`. */
  pyAdd(o: unknown): PyTime {
    return new PyTime(this.micros + Number(numValue(o)), this.offsetMin);
  }

  /** `t - delta` or `t - t2` (microseconds). */
  pySub(o: unknown): PyTime | number {
    if (o instanceof PyTime) return this.micros - o.micros;
    return new PyTime(this.micros - Number(numValue(o)), this.offsetMin);
  }

  weekday(): number {
    return (this.parts().getUTCDay() + 6) % 7;
  }

  hour(): number {
    return this.parts().getUTCHours();
  }

  minute(): number {
    return this.parts().getUTCMinutes();
  }

  second(): number {
    return this.parts().getUTCSeconds();
  }

  nanosecond(): number {
    return (((this.micros % 1e6) + 1e6) % 1e6) * 1000;
  }

  as_timezone(tz: unknown): PyTime {
    if (tz === 'UTC' || tz === 'utc') return new PyTime(this.micros, 0);
    const m = /^([+-])(\d\d):?(\d\d)$/.exec(String(tz));
    if (!m) throw new JinjaError('ValueError', `unsupported time zone '${String(tz)}' (use UTC or ±HH:MM)`);
    return new PyTime(this.micros, (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])));
  }
}

function parseIso(s: unknown): PyTime {
  const m =
    /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?)?(Z|[+-]\d\d:?\d\d)?$/.exec(
      String(s),
    );
  if (!m) throw new JinjaError('ValueError', `Invalid isoformat string: '${String(s)}'`);
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', tz] = m;
  let offset: number | null = null;
  if (tz === 'Z') offset = 0;
  else if (tz) {
    const t = tz.replace(':', '');
    offset = (t[0] === '-' ? -1 : 1) * (Number(t.slice(1, 3)) * 60 + Number(t.slice(3, 5)));
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  return new PyTime(ms * 1000 + Number(frac.padEnd(6, '0')) - (offset ?? 0) * 60e6, offset);
}

/** The `time` global. */
export function timeModule(): Record<string, unknown> {
  return {
    now: nativeFunction(() => new PyTime(Date.now() * 1000, null)),
    utcnow: nativeFunction(() => new PyTime(Date.now() * 1000, null)),
    parse_iso: nativeFunction((_c, [s]) => parseIso(s)),
    second: 1e6,
    minute: 60e6,
    hour: 3600e6,
  };
}

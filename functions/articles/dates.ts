const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?: ?(Z|[+-]\d{2}:?\d{2}))?$/i;

export interface ParsedDate {
  date: Date;
  /** True when a date-time had no offset and was read as UTC. */
  assumedUtc: boolean;
}

/**
 * Parses `YYYY-MM-DD` (midnight UTC) or an ISO 8601 date-time (also Jekyll's
 * `2024-03-05 09:30:00 +0900`). Returns undefined for anything
 * else, including impossible calendar dates such as 2024-02-30.
 */
export function parseArticleDate(value: string): ParsedDate | undefined {
  const text = value.trim();
  const dateOnly = DATE_ONLY.exec(text);
  const m = dateOnly ?? DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = dateOnly
    ? [0, 0, 0]
    : [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCDate() !== day || year < 1900 || year > 9999) return undefined;
  if (dateOnly) return { date: probe, assumedUtc: false };
  const fraction = m[7] ?? "";
  let offset = m[8] ?? "";
  const assumedUtc = offset === "";
  if (assumedUtc) offset = "Z";
  else if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${String(second).padStart(2, "0")}${fraction}${offset.toUpperCase()}`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : { date, assumedUtc };
}

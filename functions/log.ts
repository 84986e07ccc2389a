/** Structured log sink: one JSON object per line, so CloudWatch and local runs read alike. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * A Logger writing JSON lines to stdout (info) and stderr (warn, error). `mapStack` rewrites a
 * `stack` field as it is written (a bundle's frames to its sources).
 */
export function jsonLogger(mapStack?: (stack: string) => string): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    const stack = fields?.stack;
    const shown =
      mapStack && typeof stack === "string" ? { ...fields, stack: mapStack(stack) } : fields;
    const line = JSON.stringify({ level, message, ...shown });
    if (level === "info") console.log(line);
    else console.error(line);
  };
  return {
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/** A Logger that keeps entries in memory; for tests and benchmarks. */
export function memoryLogger(): Logger & {
  entries: { level: string; message: string; fields?: Record<string, unknown> }[];
} {
  const entries: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  return {
    entries,
    info: (message, fields) =>
      entries.push({ level: "info", message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) =>
      entries.push({ level: "warn", message, ...(fields ? { fields } : {}) }),
    error: (message, fields) =>
      entries.push({ level: "error", message, ...(fields ? { fields } : {}) }),
  };
}

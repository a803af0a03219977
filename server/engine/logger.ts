/** The engine's logging surface; the default writes to the console. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

/* eslint-disable no-console -- the default logger is the one place that writes to the console */
export function createConsoleLogger(enableDebug: boolean): Logger {
  return {
    debug: (message) => {
      if (enableDebug) console.debug(`[durably] ${message}`);
    },
    info: (message) => console.info(`[durably] ${message}`),
    error: (message, error) => console.error(`[durably] ${message}`, error ?? ''),
  };
}
/* eslint-enable no-console */

/** Wraps a user logger so debug messages are dropped unless enabled. */
export function withDebugGate(logger: Logger, enableDebug: boolean): Logger {
  return {
    debug: (message) => {
      if (enableDebug) logger.debug(message);
    },
    info: (message) => logger.info(message),
    error: (message, error) => logger.error(message, error),
  };
}

/**
 * How a person runs this CLI from a shell, for the hints it prints: `pnpm chatdebug` when it runs
 * from the monorepo's TypeScript sources (the root `pnpm demo` and `pnpm chatdebug` scripts load
 * src/bin.ts through tsx, and a clone has no `chatdebug` on its PATH: the binary is only linked
 * into projects that install the package), `chatdebug` when it runs from the built package.
 *
 * The module's own file name tells the two apart; `moduleUrl` is there for tests.
 */
export function shellCommand(moduleUrl: string = import.meta.url): string {
  return /\.[cm]?ts$/.test(new URL(moduleUrl).pathname) ? 'pnpm chatdebug' : 'chatdebug';
}

/** `value` quoted for a POSIX shell when it holds anything but safe characters. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

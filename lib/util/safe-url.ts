/**
 * A URL as messages may show it: without user info and query, where credentials and tokens travel
 * (`https://user:token@host/...`, `?access_token=...`). Used for Git remotes and `http` vars sources.
 */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    // scp-like SSH URLs (`git@host:path`) carry no secret but the user name, which is dropped too.
    const scp = /^(?:[^@/]+@)?([^:/]+:[^:].*)$/.exec(url);
    return scp?.[1] ?? '<unparsable url>';
  }
}

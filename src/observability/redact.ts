/** Removes the password (and user info) from a URL before it is shown anywhere. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    // Without a password the text is shown as given (re-serialising would add a trailing slash).
    if (!url.password) return raw;
    url.password = '***';
    return url.toString();
  } catch {
    // Not a URL (e.g. a gRPC target such as "dns:///host:port"): remove anything that looks like userinfo.
    return raw.replace(/\/\/([^/@:]+):([^/@]+)@/, '//$1:***@');
  }
}

/** Checks migrations run before they add a constraint, so that a failure says what to fix. */
import { sql, type Kysely } from 'kysely';
import { redactUrl } from '../observability/redact.js';

/**
 * Throws when several clusters share a URL, naming them: the unique index of migration 0003 would
 * otherwise fail with a bare constraint error. Two rows on one URL were two streams of the same
 * ws-manager, so an operator deregisters all but one and migrates again.
 */
export async function assertUniqueClusterUrls(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ url: string; name: string }>`
    SELECT url, name FROM workspace_clusters
    WHERE url IN (SELECT url FROM workspace_clusters GROUP BY url HAVING count(*) > 1)
    ORDER BY url, name`.execute(db);
  if (rows.length === 0) return;
  const byUrl = new Map<string, string[]>();
  for (const { url, name } of rows) byUrl.set(url, [...(byUrl.get(url) ?? []), name]);
  const list = [...byUrl].map(([url, names]) => `${redactUrl(url)} (${names.join(', ')})`).join('; ');
  throw new Error(
    `workspace clusters must have distinct URLs, but these share one: ${list}; deregister all but one of each and migrate again`,
  );
}

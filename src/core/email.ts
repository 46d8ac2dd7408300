/**
 * The one canonical form of an email address, applied once wherever an address is stored or matched (README,
 * "Emails"): surrounding white space trimmed, ASCII letters A–Z lower-cased, and nothing else changed. Unicode
 * lower-casing is deliberately not used: it maps look-alikes onto plain letters (the Kelvin sign U+212A becomes `k`,
 * `İ` U+0130 becomes `i̇`), so a token for `\u212Aadmin@…` would match an invitation for `kadmin@…`. Non-ASCII
 * characters are compared exactly as they are.
 */
export function canonicalEmail(email: string): string {
  return email.trim().replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

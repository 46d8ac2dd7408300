// pg ships no types for its internal utils; the one function the tenant transaction needs.
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}

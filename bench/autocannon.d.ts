// autocannon ships no types; the benchmark uses a small part of its API.
declare module 'autocannon' {
  namespace autocannon {
    type Request = Record<string, any>;
  }
  function autocannon(opts: Record<string, any>): Promise<any>;
  export default autocannon;
}

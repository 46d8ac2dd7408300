import type { Container } from '../container.js';

export async function seedDemo(_c: Container): Promise<string> {
  return 'seed: not implemented yet';
}

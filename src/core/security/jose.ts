/** The parts of jose the service uses, imported dynamically as one module (see loadJose in supabase.ts). */
export { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';

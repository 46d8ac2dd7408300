import { z } from 'zod';
import { BOTTLE_CONTENTS, DIAPER_KINDS, MEAL_AMOUNTS, MEALS, MOODS, TOILET_KINDS, type CareEntryType } from '../models/enums.js';
import { str } from './strings.js';

/**
 * The `details` of a care-log entry, by its type (CONTRACT §5 Care log). One table shared by the API's request schemas
 * (a discriminated union on `type`) and the service, which checks a PATCH's details against the stored entry's type.
 * Every object is strict: a field that does not belong to the type is refused (400).
 */
const none = z.object({}).strict();
export const CARE_DETAILS = {
  meal: z.object({ meal: z.enum(MEALS), amount: z.enum(MEAL_AMOUNTS), food: str().trim().min(1).max(200).optional() }).strict(),
  bottle: z.object({ ml: z.number().int().min(1).max(1000), contents: z.enum(BOTTLE_CONTENTS).optional() }).strict(),
  nap: none,
  diaper: z.object({ kind: z.enum(DIAPER_KINDS) }).strict(),
  toilet: z.object({ kind: z.enum(TOILET_KINDS) }).strict(),
  mood: z.object({ mood: z.enum(MOODS) }).strict(),
  activity: z.object({ title: str().trim().min(1).max(200) }).strict(),
  note: none,
} satisfies Record<CareEntryType, z.ZodType>;

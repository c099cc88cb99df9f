import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import type { PromptRef } from '../telephony/switch';

export type PromptLanguage = 'zh-CN' | 'en';

const promptSchema = z.object({ 'zh-CN': z.string().trim().min(1), en: z.string().trim().min(1) });
const catalogSchema = z.record(z.string().regex(/^[a-z0-9_]+$/, 'prompt ids are lower-case letters, digits and _'), promptSchema);

export class PromptCatalogError extends Error {}

/**
 * The prompt ids of ivr/prompts.yaml with their text. Flows are checked against it at load, the
 * simulated switch times prompts from it, and scripts/build-prompts.cjs makes the audio from it.
 */
export class PromptCatalog {
  private constructor(private readonly prompts: ReadonlyMap<string, z.infer<typeof promptSchema>>) {}

  static load(file: string): PromptCatalog {
    let raw: unknown;
    try {
      raw = YAML.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new PromptCatalogError(`${file}: ${(err as Error).message}`);
    }
    const parsed = catalogSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PromptCatalogError(`${file}: prompt "${issue?.path.join('.') ?? '?'}": ${issue?.message ?? 'invalid'}`);
    }
    return new PromptCatalog(new Map(Object.entries(parsed.data)));
  }

  has(id: string): boolean {
    return this.prompts.has(id);
  }

  text(id: string, language: PromptLanguage = 'zh-CN'): string | undefined {
    return this.prompts.get(id)?.[language];
  }

  /**
   * Playing time as the simulated switch models it: about 4 Chinese characters or 15 English
   * characters a second (espeak-ng's pace), at least half a second. `silence:ms` lasts ms.
   */
  durationMs(ref: PromptRef): number {
    const silence = /^silence:(\d+)$/.exec(ref.id);
    if (silence) return Number(silence[1]);
    const language = ref.language ?? 'zh-CN';
    const text = this.text(ref.id, language);
    if (!text) return 1000;
    const perChar = language === 'en' ? 65 : 250;
    return Math.max(500, Math.round([...text].length * perChar));
  }
}

/**
 * The prompt ids that say a whole number from 0 to 100 (e.g. 23 → number_20, number_3);
 * larger numbers say "many": a caller does not need the exact count beyond that.
 */
export function numberPrompts(n: number): string[] {
  const v = Math.max(0, Math.round(n));
  if (v > 100) return ['number_many'];
  if (v <= 20 || v === 100 || v % 10 === 0) return [`number_${v}`];
  return [`number_${v - (v % 10)}`, `number_${v % 10}`];
}

/**
 * LanguageCode (org.apache.rocketmq.remoting.protocol.LanguageCode): JSON headers carry the name, the ROCKETMQ
 * binary header carries the byte.
 */
export const LanguageCode = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  NODE_JS: 13,
} as const;

export type LanguageCodeName = keyof typeof LanguageCode;

const namesByCode = new Map<number, LanguageCodeName>(
  Object.entries(LanguageCode).map(([name, code]) => [code, name as LanguageCodeName]),
);

/** Byte for a language name; names this table does not know travel as OTHER. */
export function languageToByte(name: string): number {
  return (LanguageCode as Record<string, number>)[name] ?? LanguageCode.OTHER;
}

/** Name for a language byte; unknown bytes read as OTHER. */
export function languageFromByte(code: number): LanguageCodeName {
  return namesByCode.get(code) ?? "OTHER";
}

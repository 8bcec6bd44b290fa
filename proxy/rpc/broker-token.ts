/**
 * Transaction ids handed to clients name the broker that issued them (`<brokerName> <token>`), so
 * EndTransaction can reach that broker through any proxy, with no proxy state. (Recall handles need no wrapping:
 * the broker's own handle names it, see recall-handle.ts.)
 */
const BROKER_NAME = /^[A-Za-z0-9_.:%|-]{1,255}$/;

export function wrapBrokerToken(brokerName: string, token: string): string {
  return `${brokerName} ${token}`;
}

export function unwrapBrokerToken(s: string): { brokerName: string; token: string } | undefined {
  const space = s.indexOf(" ");
  if (space <= 0 || space === s.length - 1 || s.length > 2048) return undefined;
  const brokerName = s.slice(0, space);
  if (!BROKER_NAME.test(brokerName)) return undefined;
  return { brokerName, token: s.slice(space + 1) };
}

/**
 * Kubernetes resource quantities (`128Mi`, `1.5G`, `250m`, `1e3`) read as numbers of base units,
 * enough for tmpfs sizes and downward-API resource values. Values are exact for the integers and
 * milli-units that pod specs use; beyond 2^53 precision is that of a double.
 */

const binary: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimal: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** Thrown for text that is not a quantity. */
export class QuantityError extends Error {
  override name = 'QuantityError';
}

/** The value of a quantity in base units (bytes, cores). Numbers are taken as they are. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(.*)$/.exec(q.trim());
  if (!m)
    throw new QuantityError(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${q}`,
    );
  const num = Number(m[1]);
  const suffix = m[2]!;
  const b = binary[suffix];
  if (b !== undefined) return num * b;
  const d = decimal[suffix];
  if (d !== undefined) return scale(num, d);
  const e = /^[eE]([+-]?\d+)$/.exec(suffix);
  if (e) return scale(num, Number(e[1]));
  throw new QuantityError(`unable to parse quantity's suffix: ${q}`);
}

/** `num × 10^exp`, keeping small exponents exact (0.1 × 10^3 is 100, not 100.00000000000001). */
function scale(num: number, exp: number): number {
  const v = Number(`${num}e${exp}`);
  return Number.isFinite(v) ? v : num * 10 ** exp;
}

/** Smallest whole number of milli-units at least the quantity (the API's MilliValue). */
export function milliValue(q: string | number): number {
  return Math.ceil(Number(`${parseQuantity(q)}e3`));
}

/** Smallest whole number of base units at least the quantity (the API's Value). */
export function wholeValue(q: string | number): number {
  return Math.ceil(parseQuantity(q));
}

/**
 * Reads ASN.1 unaligned PER (X.691, UPER) bit by bit: just the constructs the eCall MSD module uses
 * (constrained whole numbers, booleans, enumerations with an extension marker, fixed-size strings of
 * a permitted alphabet, length determinants, open types). No maintained npm package decodes UPER
 * (the ASN.1 packages on npm read BER/DER only), so this small reader is ours; its results are
 * checked against encodings made by an independent implementation (test/unit/msd.test.ts).
 */
export class UperError extends Error {
  constructor(
    message: string,
    /** The bit where reading failed. */
    readonly bit: number,
  ) {
    super(`${message} (at bit ${bit})`);
    this.name = 'UperError';
  }
}

export class UperReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get bitPosition(): number {
    return this.pos;
  }

  get bitsLeft(): number {
    return this.buf.length * 8 - this.pos;
  }

  bit(): boolean {
    if (this.pos >= this.buf.length * 8) throw new UperError('the data ends too early', this.pos);
    const byte = this.buf[this.pos >> 3] as number;
    const v = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v === 1;
  }

  /** An unsigned number of `n` bits (n ≤ 48), most significant first. */
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + (this.bit() ? 1 : 0);
    return v;
  }

  /** INTEGER (lb..ub): the offset from lb in the fewest bits that hold the range; values past ub are refused. */
  constrained(lb: number, ub: number, what: string): number {
    const range = ub - lb + 1;
    if (range === 1) return lb;
    const width = Math.ceil(Math.log2(range));
    const at = this.pos;
    const offset = this.bits(width);
    if (offset > ub - lb) throw new UperError(`${what}: ${lb + offset} is beyond its range ${lb}..${ub}`, at);
    return lb + offset;
  }

  /** A normally small non-negative whole number (X.691 11.6): extension indexes and bitmaps. */
  normallySmall(): number {
    if (!this.bit()) return this.bits(6);
    return this.semiConstrained();
  }

  /** A length determinant (unaligned, no fragments: the MSD never needs 16K). */
  length(what: string): number {
    const at = this.pos;
    if (!this.bit()) return this.bits(7);
    if (!this.bit()) return this.bits(14);
    throw new UperError(`${what}: fragmented lengths (16K or more) are not used by this module`, at);
  }

  octets(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.bits(8);
    return out;
  }

  /** A fixed-size string of a permitted alphabet, each character its index in the sorted alphabet when the alphabet's values do not fit the index width. */
  fixedString(size: number, alphabet: string, what: string): string {
    const width = Math.ceil(Math.log2(alphabet.length));
    const maxCode = Math.max(...[...alphabet].map((c) => c.charCodeAt(0)));
    const byIndex = maxCode > 2 ** width - 1;
    let s = '';
    for (let i = 0; i < size; i++) {
      const at = this.pos;
      const v = this.bits(width);
      const ch = byIndex ? alphabet[v] : String.fromCharCode(v);
      if (ch === undefined || !alphabet.includes(ch)) throw new UperError(`${what}: character ${v} is outside its alphabet`, at);
      s += ch;
    }
    return s;
  }

  /** Skips the extension additions of an extensible SEQUENCE whose extension bit was set (each an open type). */
  skipExtensions(what: string): number {
    const n = this.normallySmall() + 1;
    const present: boolean[] = [];
    for (let i = 0; i < n; i++) present.push(this.bit());
    for (const p of present) if (p) this.octets(this.length(`${what} extension`));
    return present.filter(Boolean).length;
  }

  private semiConstrained(): number {
    const len = this.length('number');
    return this.bits(len * 8);
  }
}

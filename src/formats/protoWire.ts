/** A cursor over protobuf wire format, for the hand-written decoders of TensorBoard's messages. */

export class ProtoError extends Error {}

/** A cursor over one protobuf message, `buf[pos, end)`; reusable (`at`) so hot loops allocate none. */
export class Wire {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  /** Points the cursor at another message. */
  at(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new ProtoError('truncated varint');
    return this.buf[this.pos++]!;
  }

  /** A varint as a signed int64, exact up to 2^53. */
  varint(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let lo = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo;
    }
    b = this.byte();
    lo = (lo | ((b & 0x7f) << 28)) >>> 0;
    let hi = (b & 0x7f) >>> 4;
    if (b < 0x80) return hi * 4294967296 + lo;
    for (let shift = 3; shift < 32; shift += 7) {
      b = this.byte();
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return (hi | 0) * 4294967296 + lo;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  /** Moves past a length prefix; returns the end of the field (the caller sets pos there when done). */
  lengthDelimited(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (len < 0 || end > this.end) throw new ProtoError('field runs past its message');
    return end;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new ProtoError('truncated float');
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  string(): string {
    const end = this.lengthDelimited();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lengthDelimited();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new ProtoError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new ProtoError('field runs past its message');
  }
}

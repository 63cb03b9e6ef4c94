/** A growable byte buffer with unsigned LEB128 varints (posting lists and located terms). */
export class ByteWriter {
  buf = new Uint8Array(256);
  len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  varint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
  }

  /** Append src[start, end) (short ranges, most positions lists, are copied byte by byte: no view made). */
  append(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.ensure(n);
    if (n <= 16) {
      for (let i = start; i < end; i++) this.buf[this.len++] = src[i]!;
      return;
    }
    this.buf.set(src.subarray(start, end), this.len);
    this.len += n;
  }

  bytes(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len);
  }
}

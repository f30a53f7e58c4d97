/**
 * The protobuf wire reader under `status-decoder.ts`: varints, 64-bit integers as bigint, UTF-8
 * strings, timestamps and durations, and skipping of any field. Reads straight from the bytes grpc-js
 * hands over; every read that would pass the end of its message throws.
 */
import type { Duration } from '../generated/google/protobuf/duration.js';
import { CodedError } from '../lifecycle/coded-error.js';

/**
 * Thrown for bytes that are not a valid message. Only built on malformed input, at most once per
 * call: grpc-js cancels the call when its deserializer throws.
 */
export class ProtoDecodeError extends CodedError<'PROTO_DECODE'> {
  constructor(message: string) {
    super('PROTO_DECODE', `cannot decode ws-manager message: ${message}`);
  }
}

/** Node's undocumented `Buffer#utf8Slice`: what `toString('utf8', …)` calls after its checks. */
type SliceableBuffer = Buffer & { utf8Slice(start: number, end: number): string };

// Protobuf libraries use it too: cheaper than toString's checks for the short strings of a status.
const HAS_UTF8_SLICE = typeof (Buffer.prototype as Partial<SliceableBuffer>).utf8Slice === 'function';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

/** A cursor over one encoded message. */
export class ProtoReader {
  readonly #buf: Buffer;
  /** Position of the next byte to read. */
  pos = 0;
  /** Length of the whole input. */
  readonly length: number;
  // The high 32 bits of the last varint `#varint64` read (the low ones are its result).
  #hi = 0;

  constructor(bytes: Uint8Array) {
    this.#buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = this.#buf.length;
  }

  /** True while fields remain before `end`; throws when the last read ran past it. */
  more(end: number): boolean {
    if (this.pos < end) return true;
    if (this.pos > end) throw new ProtoDecodeError('a field runs past the end of its message');
    return false;
  }

  /** A varint as an unsigned 32-bit number (higher bits dropped, as protobuf does for uint32). */
  uint32(): number {
    const buf = this.#buf;
    const first = buf[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    return this.#varint64() >>> 0;
  }

  /** A varint as a signed 32-bit number (enums, int32). */
  int32(): number {
    return this.uint32() | 0;
  }

  /**
   * An enum value: any int32, known to the enum or not, as the generated decoder keeps it (the
   * validation decides what an unknown value means).
   */
  enumValue<E extends number>(): E {
    return this.int32() as E;
  }

  /** A varint as an unsigned 64-bit bigint. */
  uint64(): bigint {
    const lo = this.#varint64() >>> 0;
    const hi = this.#hi >>> 0;
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A varint as a signed 64-bit bigint (two's complement). */
  int64(): bigint {
    const value = this.uint64();
    return this.#hi < 0 ? BigInt.asIntN(64, value) : value;
  }

  /** Reads a length prefix and returns where the value it announces ends. */
  lengthEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.length) throw new ProtoDecodeError('a length runs past the end of the input');
    return end;
  }

  /** A length-prefixed UTF-8 string. */
  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    if (start === end) return '';
    if (HAS_UTF8_SLICE) return (this.#buf as SliceableBuffer).utf8Slice(start, end);
    return this.#buf.toString('utf8', start, end);
  }

  /** A `google.protobuf.Timestamp` ending at `end`, as the generated code makes it: a Date. */
  timestamp(end: number): Date {
    const { seconds, nanos } = this.duration(end);
    return new Date((Number(seconds) || 0) * 1000 + (nanos || 0) / 1_000_000);
  }

  /** A `google.protobuf.Duration` (or a Timestamp's two fields) ending at `end`. */
  duration(end: number): Duration {
    const d: Duration = { seconds: 0n, nanos: 0 };
    while (this.more(end)) {
      const tag = this.uint32();
      if (tag === 8) d.seconds = this.int64();
      else if (tag === 16) d.nanos = this.int32();
      else this.skip(tag);
    }
    return d;
  }

  /** Skips the value of a field whose tag was just read. */
  skip(tag: number): void {
    switch (tag & 7) {
      case WIRE_VARINT:
        this.#varint64();
        return;
      case WIRE_FIXED64:
        this.#advance(8);
        return;
      case WIRE_LENGTH:
        this.pos = this.lengthEnd();
        return;
      case WIRE_FIXED32:
        this.#advance(4);
        return;
      case WIRE_START_GROUP:
        this.#skipGroup(tag >>> 3);
        return;
      default:
        throw new ProtoDecodeError(`unexpected wire type ${tag & 7}`);
    }
  }

  #skipGroup(field: number): void {
    for (;;) {
      if (this.pos >= this.length) throw new ProtoDecodeError('a group does not end');
      const tag = this.uint32();
      if ((tag & 7) === WIRE_END_GROUP) {
        if (tag >>> 3 !== field) throw new ProtoDecodeError('a group ends with the wrong field');
        return;
      }
      this.skip(tag);
    }
  }

  #advance(bytes: number): void {
    this.pos += bytes;
    if (this.pos > this.length) throw new ProtoDecodeError('a value runs past the end of the input');
  }

  // Reads a varint of up to 10 bytes: returns its low 32 bits and leaves the high ones in #hi.
  #varint64(): number {
    const buf = this.#buf;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (; shift < 28; shift += 7) {
      const b = this.#byte(buf);
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return this.#done(lo, 0);
    }
    const middle = this.#byte(buf);
    lo |= (middle & 0x7f) << 28;
    hi = (middle & 0x7f) >> 4;
    if (middle < 0x80) return this.#done(lo, hi);
    for (shift = 3; shift < 32; shift += 7) {
      const b = this.#byte(buf);
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return this.#done(lo, hi);
    }
    throw new ProtoDecodeError('a varint is longer than 10 bytes');
  }

  #done(lo: number, hi: number): number {
    this.#hi = hi;
    return lo;
  }

  #byte(buf: Buffer): number {
    const b = buf[this.pos++];
    if (b === undefined) throw new ProtoDecodeError('the input ends inside a varint');
    return b;
  }
}
